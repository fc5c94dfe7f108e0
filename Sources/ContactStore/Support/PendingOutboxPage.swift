/// One page of pending outbox messages as both backends fill it from packed rows, in sequence
/// order: up to a number of messages and, when the selection says so, a number of bytes.
///
/// A page always takes its first message, however large, so every read makes progress.
struct PendingOutboxPage {
    private(set) var messages: [OutboxMessage] = []
    /// The keys, values and headers of ``messages``, in bytes.
    private(set) var bytes = 0
    let limit: Int
    let maxBytes: Int

    init(limit: Int, selection: OutboxSelection) {
        self.limit = limit
        self.maxBytes = selection.maxBytes ?? .max
    }

    /// Whether the page holds `limit` messages or `maxBytes` bytes.
    var isFull: Bool { messages.count >= limit || bytes >= maxBytes }

    /// Appends the messages of packed row `batchID`, in order, each with `sourcePartition`, until
    /// the page is full. Bytes that are not a packed batch are a corrupt row of `database`.
    mutating func append(
        packed: some Collection<UInt8>, batchID: Int64, sourcePartition: Int32?, database: String
    ) throws(StoreError) {
        for entry in try OutboxPacking.unpack(packed, batchID: batchID, database: database) {
            guard !isFull else { return }
            var message = entry.message
            message.sourcePartition = sourcePartition
            bytes += message.byteCount
            messages.append(message)
        }
    }
}
