import CKafka

/// Blocking cluster-metadata lookups (call off the cooperative pool).
///
/// Each lookup asks for one topic (`rd_kafka_metadata` with that topic's handle). The request
/// carries the client's `allow.auto.create.topics` (false by default for a consumer), so asking
/// about a missing topic does not create it on a broker that auto-creates only on request.
enum RDKafkaMetadata {
    /// The number of partitions of `topic`.
    static func partitionCount(
        _ rk: OpaquePointer, topic: String, timeoutMilliseconds: Int32
    ) -> Result<Int, KafkaError> {
        let operation = "metadata for topic '\(topic)'"
        return describe(rk, topic: topic, timeoutMilliseconds: timeoutMilliseconds).flatMap { _, description in
            if let error = description.error { return .failure(.operation(operation, error.rdKafka)) }
            return .success(description.partitionCount)
        }
    }

    /// The cluster's brokers and a description of each of `topics`; fails only when the
    /// brokers do not answer (a topic's own error is part of its description).
    static func describe(
        _ rk: OpaquePointer, topics: [String], timeoutMilliseconds: Int32
    ) -> Result<KafkaClusterMetadata, KafkaError> {
        var brokers: [String] = []
        var descriptions: [KafkaTopicDescription] = []
        // One deadline for the whole reading, so asking about several topics takes no longer
        // than asking about one (a caller's close may wait behind it).
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds))
        for topic in topics {
            let left = (deadline - ContinuousClock.now).components
            let leftMilliseconds = max(1, left.seconds * 1000 + left.attoseconds / 1_000_000_000_000_000)
            switch describe(rk, topic: topic, timeoutMilliseconds: Int32(clamping: leftMilliseconds)) {
            case .success(let (answered, description)):
                brokers = answered
                descriptions.append(description)
            case .failure(let error):
                return .failure(error)
            }
        }
        return .success(KafkaClusterMetadata(brokers: brokers, topics: descriptions))
    }

    private static func describe(
        _ rk: OpaquePointer, topic: String, timeoutMilliseconds: Int32
    ) -> Result<([String], KafkaTopicDescription), KafkaError> {
        let operation = "metadata for topic '\(topic)'"
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
            return .failure(.operation(operation, rd_kafka_last_error()))
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(.operation(operation, err))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let answer = metadata.pointee
        var brokers: [(Int32, String)] = []
        if let list = answer.brokers {
            for index in 0..<Int(answer.broker_cnt) {
                let broker = list[index]
                let host = broker.host.map { String(cString: $0) } ?? "?"
                brokers.append((broker.id, "\(host):\(broker.port)"))
            }
        }
        let brokerNames = brokers.sorted { $0.0 < $1.0 }.map(\.1)
        guard answer.topic_cnt > 0, let topics = answer.topics else {
            return .success(
                (brokerNames, KafkaTopicDescription(name: topic, partitionCount: 0, error: .unknownTopicLocal)))
        }
        let entry = topics[0]
        let description =
            entry.err == RD_KAFKA_RESP_ERR_NO_ERROR
            ? KafkaTopicDescription(name: topic, partitionCount: Int(entry.partition_cnt))
            : KafkaTopicDescription(name: topic, partitionCount: 0, error: KafkaErrorCode(entry.err))
        return .success((brokerNames, description))
    }
}
