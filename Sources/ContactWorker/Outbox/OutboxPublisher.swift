import ContactStore
import Kafka
import Logging
import Synchronization

/// Publishes outbox rows with the idempotent producer, awaits every delivery report, then marks
/// the rows published.
///
/// The outbox is what makes events and results at-least-once: rows are written in the same
/// transaction as the state change, and removed only after Kafka acknowledged them. A crash in
/// between re-publishes them on the next start (same bytes, same event ids).
///
/// The worker defers the marking: acknowledged sequences wait here until the next batch's
/// transaction deletes them (``takeAcknowledged()``), or until ``flushAcknowledged()`` does when
/// no batch comes. That saves a transaction per batch, and with SQLite's single writer it keeps
/// the mark from queueing behind the next batch's write. The price is a wider window in which a
/// crash re-publishes rows Kafka already has, which at-least-once allows.
public final class OutboxPublisher: Sendable {
    let store: any ContactStore
    let producer: KafkaProducer
    let logger: Logger
    /// Test seam: runs before each publish hands its rows to the producer; what it throws fails
    /// that publish as a refused delivery would. Lets a test hold one batch's rows back for as
    /// long as it needs, which the mock cluster's request errors cannot aim at one batch.
    let beforeSending: (@Sendable ([OutboxMessage]) async throws -> Void)?
    private let acknowledged = Mutex<[Int64]>([])

    public convenience init(store: any ContactStore, producer: KafkaProducer, logger: Logger) {
        self.init(store: store, producer: producer, logger: logger, beforeSending: nil)
    }

    init(
        store: any ContactStore, producer: KafkaProducer, logger: Logger,
        beforeSending: (@Sendable ([OutboxMessage]) async throws -> Void)?
    ) {
        self.store = store
        self.producer = producer
        self.logger = logger
        self.beforeSending = beforeSending
    }

    /// Publishes `rows` (in order; each must carry its ``OutboxMessage/sequence``) and marks them
    /// published, at once or, with `deferMarking`, with a later batch or flush. Throws the first
    /// delivery error; nothing is marked then, so the rows are published again later (duplicates
    /// keep their ids).
    ///
    /// Per key (a contact's events, its results) a row is handed to the producer only once the
    /// rows before it were delivered (``KafkaProducer/send(keyOrdered:)``), so a failed delivery
    /// cannot be overtaken by a later row of its contact. What a subscriber gets, per contact on
    /// each topic: every message is first written after every earlier message of the contact was
    /// written, so the topic with repeated ids skipped is the contact's messages in command order,
    /// without gaps. A repeat (same bytes, same id) may come after later messages of its contact:
    /// a failed publish sends the batch's rows again from the first one, and a crash before
    /// marking, a revoke or `republish` send delivered rows again.
    public func publish(_ rows: [OutboxMessage], deferMarking: Bool = false) async throws {
        try await publish(rows, sequences: rows.compactMap(\.sequence), deferMarking: deferMarking)
    }

    /// ``publish(_:deferMarking:)`` for rows whose sequences are given beside them: `sequences[i]`
    /// is the sequence of `rows[i]` (the rows' own ``OutboxMessage/sequence`` is not read).
    func publish(_ rows: [OutboxMessage], sequences: [Int64], deferMarking: Bool = false) async throws {
        guard !rows.isEmpty else { return }
        try await beforeSending?(rows)
        // Rows of one kind carry the same headers (every event's, and every result's without a
        // correlation id), and a batch's events and results alternate: the two most recent
        // distinct header lists are converted once and shared by the rows that repeat them.
        var recent = RecentHeaders()
        let messages = rows.map { row in
            KafkaOutgoingMessage(
                topic: row.topic, key: row.key, value: row.value, headers: recent.converted(row.headers))
        }
        // The send reports a record that was not delivered in its report instead of throwing: a
        // row whose delivery failed must stay pending, so nothing is marked then.
        for report in try await producer.send(keyOrdered: messages) {
            _ = try report.get()
        }
        if deferMarking {
            acknowledged.withLock { $0.append(contentsOf: sequences) }
        } else {
            try await store.markPublished(sequences: sequences)
        }
    }

    /// Hands over the acknowledged sequences not yet marked, for the caller's next store batch
    /// (``StoreBatch/published``). If that batch fails, give them back with ``returnAcknowledged(_:)``.
    public func takeAcknowledged() -> [Int64] {
        acknowledged.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }

    /// Gives back sequences taken with ``takeAcknowledged()`` whose batch was not committed.
    public func returnAcknowledged(_ sequences: [Int64]) {
        guard !sequences.isEmpty else { return }
        acknowledged.withLock { $0.append(contentsOf: sequences) }
    }

    /// Marks every acknowledged sequence not yet marked, in a transaction of its own.
    public func flushAcknowledged() async throws {
        let sequences = takeAcknowledged()
        do {
            try await store.markPublished(sequences: sequences)
        } catch {
            returnAcknowledged(sequences)
            throw error
        }
    }

    /// ``flushAcknowledged()`` for a moment where a failure can only be reported: it is logged,
    /// with `consequence` saying what it means, and the sequences stay for a later flush.
    public func flushAcknowledged(orLog consequence: String) async {
        do {
            try await flushAcknowledged()
        } catch {
            logger.notice("could not mark delivered rows published; \(consequence)", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes the pending rows of the commands-topic partitions `sourcePartitions`, and the
    /// rows without a source partition (written before schema version 7), oldest first; returns
    /// how many rows. Acknowledged rows are marked first, so they are not published twice.
    ///
    /// The drain covers only the rows that existed when it started: it reads the newest sequence
    /// first and pages up to it. Rows committed meanwhile, by this worker's next batch or by
    /// workers of a previous build still writing rows without a partition, are left to their own
    /// publishing or the next drain, so a drain ends however busy the group is.
    ///
    /// Each page holds at most `pageSize` messages and about `pageBytes` bytes, so a drain's memory
    /// does not depend on how large the pending messages are.
    public func drain(sourcePartitions: Set<Int32>, pageSize: Int = 5_000, pageBytes: Int = 8 << 20) async throws -> Int
    {
        try await flushAcknowledged()
        guard let last = try await store.lastOutboxSequence() else { return 0 }
        let selection = OutboxSelection(sourcePartitions: sourcePartitions, throughSequence: last, maxBytes: pageBytes)
        var total = 0
        while true {
            // Each page is published and marked before the next is read, so the next starts
            // after it; a page short of both bounds is the end of the selection.
            let rows = try await store.pendingOutbox(selection, limit: pageSize)
            if !rows.isEmpty { try await publish(rows) }
            total += rows.count
            if rows.count < pageSize, rows.reduce(0, { $0 + $1.byteCount }) < pageBytes { return total }
        }
    }
}

/// The two header lists converted last, most recent first (see ``OutboxPublisher/publish(_:sequences:deferMarking:)``).
///
/// Lists are told equal by their storage first: rows of one kind share the same array, so a
/// repeat is found without comparing (and so retaining) any header.
private struct RecentHeaders {
    private typealias Headers = [(name: String, value: [UInt8])]
    private var latest: (headers: Headers, converted: [KafkaHeader])?
    private var previous: (headers: Headers, converted: [KafkaHeader])?

    /// `headers` as Kafka headers: a list converted before when one of the last two was equal.
    mutating func converted(_ headers: [(name: String, value: [UInt8])]) -> [KafkaHeader] {
        if let latest, Self.equal(latest.headers, headers) { return latest.converted }
        if let previous, Self.equal(previous.headers, headers) {
            swap(&latest, &self.previous)
            return previous.converted
        }
        let converted = headers.map { KafkaHeader(name: $0.name, value: $0.value) }
        previous = latest
        latest = (headers, converted)
        return converted
    }

    private static func equal(_ a: Headers, _ b: Headers) -> Bool {
        let sameStorage = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress && a.count == b.count }
        }
        // Names compare as bytes: `String`'s `==` holds canonically equivalent spellings equal.
        return sameStorage || a.elementsEqual(b) { $0.name.hasSameUTF8(as: $1.name) && $0.value == $1.value }
    }
}
