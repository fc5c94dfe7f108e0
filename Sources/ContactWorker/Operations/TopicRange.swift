import Kafka

/// Reads a bounded range of a topic without a consumer group: from given offsets up to the end
/// each partition had when the read started, so it terminates on a topic that keeps growing.
/// Shared by `replay` and the dead-letter tools.
///
/// A partition is done when a message at or past its end arrives, or when the consumer reports
/// that fetching reached the partition's end: the last offsets of a range need not be records
/// (a transactional producer ends every transaction with a marker; compaction removes records),
/// and waiting for them would never end. A partition that cannot be read fails the read.
public struct TopicRange: Sendable {
    let consumer: KafkaConsumer
    let topic: String

    /// `consumer` must have no group and should be made with ``consumerConfiguration(_:)``; it is
    /// assigned the range's partitions.
    public init(consumer: KafkaConsumer, topic: String) {
        self.consumer = consumer
        self.topic = topic
    }

    /// The consumer configuration a bounded read needs, on top of `kafka` (brokers, security):
    /// no group, partition ends reported (`enable.partition.eof`), and offsets out of range an
    /// error rather than a silent jump to the other end of the log (`auto.offset.reset=error`).
    public static func consumerConfiguration(_ kafka: KafkaConfiguration) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(kafka, groupID: nil)
        configuration.set("enable.partition.eof", "true")
        configuration.set("auto.offset.reset", "error")
        return configuration
    }

    /// Every message of `partitions` from `start` (per partition) up to `end` (exclusive, per
    /// partition; default the high watermark at the start), handed over batch by batch in
    /// consumption order. Returns when every partition reached its end.
    /// - Returns: per partition, the requested offsets that retention had already removed (the
    ///   read starts at the log start instead), so the caller can say what it could not read.
    /// - Throws: ``TopicRangeError`` when a partition cannot be read;
    ///   ``KafkaError/closed(operation:)`` when the consumer closes before the end.
    @discardableResult
    public func read(
        from start: [Int32: Int64], to end: [Int32: Int64]? = nil, _ body: ([KafkaMessage]) async throws -> Void
    ) async throws -> [Int32: Range<Int64>] {
        var remaining: [Int32: Int64] = [:]
        var assignment: [TopicPartition: KafkaOffset] = [:]
        var removed: [Int32: Range<Int64>] = [:]
        for (partition, requested) in start {
            let marks = try await consumer.watermarks(topic: topic, partition: partition)
            let stop = min(end?[partition] ?? marks.high, marks.high)
            if requested < marks.low && requested < stop { removed[partition] = requested..<min(marks.low, stop) }
            let first = max(requested, marks.low)
            guard first < stop else { continue }
            remaining[partition] = stop
            assignment[TopicPartition(topic, partition)] = .exact(first)
        }
        guard !assignment.isEmpty else { return removed }
        try await consumer.assign(assignment)
        for await batch in consumer.batches {
            var wanted: [KafkaMessage] = []
            var finished: [TopicPartition] = []
            for message in batch {
                guard let stop = remaining[message.partition] else { continue }
                if message.offset < stop { wanted.append(message) }
                if message.offset + 1 >= stop {
                    remaining.removeValue(forKey: message.partition)
                    finished.append(message.topicPartition)
                }
            }
            if !wanted.isEmpty { try await body(wanted) }
            for event in consumer.takePartitionEvents() where event.topicPartition.topic == topic {
                guard let stop = remaining[event.topicPartition.partition] else { continue }
                switch event.kind {
                case .end(let nextOffset):
                    if nextOffset >= stop {
                        remaining.removeValue(forKey: event.topicPartition.partition)
                        finished.append(event.topicPartition)
                    }
                case .failed(let error):
                    throw TopicRangeError(partition: event.topicPartition, underlying: error)
                }
            }
            if remaining.isEmpty { return removed }
            // A finished partition would keep filling the buffer with messages past its end,
            // slowing the partitions still being read.
            if !finished.isEmpty { try await consumer.pause(finished) }
        }
        throw KafkaError.closed(operation: "read \(topic) up to the end of the range")
    }
}

/// A partition of a bounded read could not be read.
public struct TopicRangeError: Error, CustomStringConvertible {
    /// The partition that failed.
    public var partition: TopicPartition
    /// What the consumer reported.
    public var underlying: KafkaError

    public var description: String {
        "cannot read \(partition): \(underlying) (check the topic's ACLs, and whether retention removed the range being read)"
    }
}
