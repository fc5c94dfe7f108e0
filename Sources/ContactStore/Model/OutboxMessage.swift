/// A Kafka message that was committed together with the state change that caused it and that
/// has not been acknowledged by the broker yet (the transactional outbox).
///
/// The store assigns ``sequence`` on insert from a monotonically increasing counter, so reading
/// pending messages by sequence gives insertion order, which keeps per-contact order across
/// batches.
public struct OutboxMessage: Sendable, Equatable {
    /// The store-assigned position; `nil` on messages handed to ``ContactStore/apply(_:)``, set on
    /// every message returned by ``ContactStore/pendingOutbox(_:limit:)``.
    public var sequence: Int64?
    /// The topic to publish to.
    public var topic: String
    /// The Kafka key (the contact id for events and results, the original key for dead letters).
    public var key: [UInt8]?
    /// The Kafka value.
    public var value: [UInt8]
    /// The Kafka headers, in order; names may repeat.
    public var headers: [(name: String, value: [UInt8])]
    /// The contact this message is about, when there is one (for diagnostics and ordering checks).
    public var contactID: String?
    /// The partition of the commands topic whose message caused this one: the worker that owns
    /// that partition publishes what is left of it (see ``OutboxSelection``). `nil` on messages
    /// written by builds before schema version 7, which any worker publishes.
    public var sourcePartition: Int32?

    /// Creates a message to enqueue; leave `sequence` nil, the store assigns it.
    public init(
        sequence: Int64? = nil,
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        headers: [(name: String, value: [UInt8])] = [],
        contactID: String?,
        sourcePartition: Int32? = nil
    ) {
        self.sequence = sequence
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.contactID = contactID
        self.sourcePartition = sourcePartition
    }

    /// Messages are equal when every field, including each header in order, is equal.
    public static func == (lhs: OutboxMessage, rhs: OutboxMessage) -> Bool {
        lhs.sequence == rhs.sequence && lhs.topic == rhs.topic && lhs.key == rhs.key
            && lhs.value == rhs.value && lhs.contactID == rhs.contactID && lhs.sourcePartition == rhs.sourcePartition
            && lhs.headers.count == rhs.headers.count
            && zip(lhs.headers, rhs.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The bytes of the key, value and headers: what an outbox page's byte bound counts
    /// (``OutboxSelection/maxBytes``).
    public var byteCount: Int {
        var total = (key?.count ?? 0) + value.count
        for header in headers { total += header.name.utf8.count + header.value.count }
        return total
    }
}
