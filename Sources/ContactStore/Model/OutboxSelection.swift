/// Which pending outbox messages ``ContactStore/pendingOutbox(_:limit:)`` returns.
///
/// A worker publishes only what it is responsible for: the messages caused by the commands-topic
/// partitions it owns (``sourcePartitions``), and only those that were pending when it started
/// looking (``throughSequence``), so that peers committing meanwhile cannot keep it publishing
/// their rows for as long as their load lasts.
public struct OutboxSelection: Sendable, Hashable {
    /// Messages whose ``OutboxMessage/sourcePartition`` is one of these, plus every message
    /// without one (written by builds before schema version 7); `nil` selects every message.
    public var sourcePartitions: Set<Int32>?
    /// Only messages with a sequence up to and including this one; `nil` means no bound.
    public var throughSequence: Int64?
    /// At most about this many bytes of keys, values and headers per page: a page ends with the
    /// message that reaches it (and always holds at least one); `nil` means no bound.
    public var maxBytes: Int?

    /// Selects the messages of `sourcePartitions` (and those without a source partition) up to
    /// `throughSequence`; the defaults select every pending message.
    public init(sourcePartitions: Set<Int32>? = nil, throughSequence: Int64? = nil, maxBytes: Int? = nil) {
        self.sourcePartitions = sourcePartitions
        self.throughSequence = throughSequence
        self.maxBytes = maxBytes
    }

    /// Every pending message.
    public static let all = OutboxSelection()
}
