/// A record timestamp in milliseconds since the Unix epoch, and who assigned it.
public struct KafkaTimestamp: Hashable, Sendable {
    /// Who set a record's timestamp.
    public enum Kind: Hashable, Sendable {
        /// The producer set it when creating the record (`CreateTime`).
        case createTime
        /// The broker set it when appending the record (`LogAppendTime`).
        case logAppendTime
    }

    /// Milliseconds since the Unix epoch.
    public var milliseconds: Int64
    /// Whether the producer or the broker set it.
    public var kind: Kind

    /// A timestamp of `milliseconds` since the epoch of the given kind.
    public init(milliseconds: Int64, kind: Kind = .createTime) {
        self.milliseconds = milliseconds
        self.kind = kind
    }
}
