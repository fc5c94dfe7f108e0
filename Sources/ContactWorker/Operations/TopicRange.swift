import Kafka

/// Reads a bounded range of a topic without a consumer group: from given offsets up to the end
/// each partition had when the read started, so it terminates on a topic that keeps growing.
/// Shared by `replay` and the dead-letter tools.
public struct TopicRange: Sendable {
    let consumer: KafkaConsumer
    let topic: String

    /// `consumer` must have no group; it is assigned the range's partitions.
    public init(consumer: KafkaConsumer, topic: String) {
        self.consumer = consumer
        self.topic = topic
    }

    /// Every message of `partitions` from `start` (per partition) up to `end` (exclusive, per
    /// partition; default the high watermark at the start), handed over batch by batch in
    /// consumption order. Returns when every partition reached its end.
    /// - Throws: ``KafkaError/closed(operation:)`` when the consumer closes before the end.
    public func read(
        from start: [Int32: Int64], to end: [Int32: Int64]? = nil, _ body: ([KafkaMessage]) async throws -> Void
    ) async throws {
        var remaining: [Int32: Int64] = [:]
        var assignment: [TopicPartition: KafkaOffset] = [:]
        for (partition, first) in start {
            let marks = try await consumer.watermarks(topic: topic, partition: partition)
            let first = max(first, marks.low)
            let stop = min(end?[partition] ?? marks.high, marks.high)
            guard first < stop else { continue }
            remaining[partition] = stop
            assignment[TopicPartition(topic, partition)] = .exact(first)
        }
        guard !assignment.isEmpty else { return }
        try await consumer.assign(assignment)
        for await batch in consumer.batches {
            var wanted: [KafkaMessage] = []
            for message in batch {
                guard let stop = remaining[message.partition] else { continue }
                if message.offset < stop { wanted.append(message) }
                if message.offset + 1 >= stop { remaining.removeValue(forKey: message.partition) }
            }
            if !wanted.isEmpty { try await body(wanted) }
            if remaining.isEmpty { return }
        }
        throw KafkaError.closed(operation: "read \(topic) up to the end of the range")
    }
}
