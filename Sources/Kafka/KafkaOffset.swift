import CKafka

/// Where a directly assigned partition starts reading (see ``KafkaConsumer/assign(_:)``).
public enum KafkaOffset: Hashable, Sendable {
    /// The oldest message still in the log.
    case beginning
    /// Only messages produced after the assignment.
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
