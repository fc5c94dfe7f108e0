import CKafka

/// Blocking cluster-metadata lookups (call off the cooperative pool).
enum RDKafkaMetadata {
    /// The number of partitions of `topic`.
    static func partitionCount(
        _ rk: OpaquePointer, topic: String, timeoutMilliseconds: Int32
    ) -> Result<Int, KafkaError> {
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
            return .failure(.operation("metadata for topic '\(topic)'", rd_kafka_last_error()))
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(.operation("metadata for topic '\(topic)'", err))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let topics = metadata.pointee.topics else {
            return .failure(.operation("metadata for topic '\(topic)'", RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC))
        }
        let entry = topics[0]
        if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return .failure(.operation("metadata for topic '\(topic)'", entry.err))
        }
        return .success(Int(entry.partition_cnt))
    }
}
