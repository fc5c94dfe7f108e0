import CKafka

/// Where a directly assigned partition starts reading (see ``KafkaConsumer/assign(_:)``).
public enum KafkaOffset: Hashable, Sendable {
    /// The oldest message still in the log.
    case beginning
    /// The partition's end as librdkafka finds it when it starts fetching the partition, which is
    /// after ``KafkaConsumer/assign(_:)`` returns: messages produced in between are not read. To
    /// read everything produced after a point, assign the high watermarks read then
    /// (``KafkaConsumer/watermarks(topic:partition:timeout:)``) as exact offsets.
    case end
    /// The group's committed offset (falling back to `auto.offset.reset`).
    case committed
    /// Exactly this offset: the next message read is the one at `offset`.
    case exact(Int64)

    var rawValue: Int64 {
        switch self {
        case .beginning: return Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: return Int64(RD_KAFKA_OFFSET_END)
        case .committed: return Int64(RD_KAFKA_OFFSET_STORED)
        case .exact(let offset): return offset
        }
    }
}
