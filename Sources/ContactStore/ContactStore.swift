import ContactDomain
import Foundation
import Logging
import Synchronization

/// What ``ContactStore/forEachEventPage(_:pageSize:_:)`` hands each page of events to.
public typealias EventPageBody = @Sendable ([StoredEvent]) async throws -> Void

/// Durable storage for contacts, their history, idempotency records, the outbox and consumer
/// offsets: everything the worker needs to be exactly-once about state and never lose an event.
///
/// Two implementations share this contract and one test suite: ``SQLiteContactStore`` (the
/// embedded default) and ``PostgresContactStore`` (production, shared by scaled-out workers).
/// Create one with ``makeContactStore(url:logger:)``.
///
/// Every failure is a ``StoreError``; its ``StoreError/isRetriable`` tells the worker whether to
/// back off and retry (database unavailable, transaction conflict) or to treat it as a bug or
/// configuration problem. Task cancellation surfaces as `CancellationError`.
public protocol ContactStore: Sendable {
    /// Brings the schema up to this build's latest version; safe to run on every start and from
    /// several processes at once. Applied versions are recorded in `schema_migrations`.
    func migrate() async throws

    /// The versions recorded in `schema_migrations`, in order (empty before the first migration).
    func appliedMigrations() async throws -> [Int]

    /// Writes a whole batch in one transaction: all of it becomes durable, or none of it does
    /// (a constraint violation anywhere rolls everything back, including offsets and outbox).
    /// An offset that names an owner epoch (``ConsumerOffset/ownerEpoch``) that is no longer its
    /// partition's current one fails the whole batch with
    /// ``StoreError/fenced(database:topic:partitions:)``.
    ///
    /// - Returns: the sequence numbers assigned to `batch.outbox`, in the same order, so the
    ///   caller can publish exactly those messages and mark them published. Sequences increase
    ///   across batches but are not consecutive between them.
    @discardableResult
    func apply(_ batch: StoreBatch) async throws -> [Int64]

    /// The contact with this id if it belongs to `businessID`; another business's contact is
    /// indistinguishable from a missing one (`nil`).
    func contact(id: UUID, businessID: String) async throws -> Contact?

    /// Bulk, unscoped load of the contacts a batch of commands touches; the domain does the
    /// business check. Missing ids are absent from the result.
    func contacts(ids: [UUID]) async throws -> [UUID: Contact]

    /// One page of a contact's `timeline` (``Timeline/interactions`` or
    /// ``Timeline/statusHistory``), newest first, with the total count: by timestamp descending,
    /// and among equal timestamps the last recorded first (the order ``apply(_:)`` wrote them in,
    /// across batches and within one). A negative `skip` or `limit` reads as zero.
    func page<Item>(of timeline: Timeline<Item>, contactID: UUID, skip: Int, limit: Int) async throws -> Page<Item>

    /// Bulk idempotency lookup: the stored records for those of `ids` that were processed before.
    func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand]

    /// Up to `limit` of the messages `selection` names that are not yet marked published (and at
    /// most about ``OutboxSelection/maxBytes`` of them), oldest first (by sequence), each with its ``OutboxMessage/sequence`` and
    /// ``OutboxMessage/sourcePartition`` set.
    func pendingOutbox(_ selection: OutboxSelection, limit: Int) async throws -> [OutboxMessage]

    /// The sequence of the newest message in the outbox, `nil` when it is empty: where a drain
    /// that must cover only the messages already there stops (``OutboxSelection/throughSequence``).
    func lastOutboxSequence() async throws -> Int64?

    /// How many messages are waiting to be published (a count, without reading them): the
    /// outbox backlog metric.
    func pendingOutboxCount() async throws -> Int

    /// Marks messages as acknowledged by Kafka; they are removed and never returned again.
    func markPublished(sequences: [Int64]) async throws

    /// The stored next offset of every partition of `topic` for `group` (partitions claimed
    /// but never written are absent).
    func offsets(group: String, topic: String) async throws -> [Int32: Int64]

    /// Takes over `partitions` of `topic` for a worker of `group`: in one transaction, raises
    /// each partition's owner epoch and reads where it resumes (see ``PartitionClaim``). From
    /// then on a batch naming an older epoch fails with
    /// ``StoreError/fenced(database:topic:partitions:)``, and a batch of the previous owner that
    /// committed first is already counted in the returned offsets.
    func claimPartitions(group: String, topic: String, partitions: [Int32]) async throws -> [Int32: PartitionClaim]

    /// Per partition of `topic` for `group`, the first offset of the first batch stored
    /// (``ConsumerOffset/firstOffset``): from there to the stored next offset the group's workers
    /// decided every message against this database. Partitions stored before that was recorded
    /// (migration 5) are absent.
    func firstOffsets(group: String, topic: String) async throws -> [Int32: Int64]

    /// Reads the stored events `selection` names, in original order, and hands them to `body` in
    /// pages of at most `pageSize`.
    ///
    /// The next page is read only after `body` returns, so memory stays bounded however many
    /// events match (a month's back-fill can be millions), and a slow consumer of the pages
    /// slows the reading down instead of piling events up. An error from `body` stops the
    /// reading and is rethrown.
    func forEachEventPage(_ selection: EventSelection, pageSize: Int, _ body: @escaping EventPageBody) async throws

    /// Checks that the database answers; for readiness probes.
    func ping() async throws

    /// Releases connections and background tasks. Calls after `close()` fail with
    /// ``StoreError/closed(database:)``.
    func close() async
}

extension ContactStore {
    /// Up to `limit` pending messages of every source partition, oldest first
    /// (``pendingOutbox(_:limit:)`` with ``OutboxSelection/all``).
    public func pendingOutbox(limit: Int) async throws -> [OutboxMessage] {
        try await pendingOutbox(.all, limit: limit)
    }

    /// Every stored event `selection` names, in original order, in one array: for small
    /// selections and tests. Use ``forEachEventPage(_:pageSize:_:)`` for anything that may be large.
    public func events(_ selection: EventSelection) async throws -> [StoredEvent] {
        let collected = Mutex<[StoredEvent]>([])
        try await forEachEventPage(selection, pageSize: 1_000) { page in
            collected.withLock { $0.append(contentsOf: page) }
        }
        return collected.withLock { $0 }
    }
}

/// Opens the store a `DATABASE_URL` names (see ``DatabaseURL``) without migrating it.
///
/// For PostgreSQL this starts the connection pool's background task, owned by the store and
/// stopped by ``ContactStore/close()``; connections are made lazily, so an unreachable server
/// shows up as a retriable error on the first call, not here.
public func makeContactStore(
    url: String, logger: Logger = Logger(label: "ContactStore")
) async throws -> any ContactStore {
    try await makeContactStore(url: DatabaseURL(parsing: url), logger: logger)
}

/// Opens the store for an already parsed ``DatabaseURL`` without migrating it.
public func makeContactStore(
    url: DatabaseURL, logger: Logger = Logger(label: "ContactStore")
) async throws -> any ContactStore {
    switch url {
    case .sqlite(let settings):
        return try SQLiteContactStore(settings, logger: logger)
    case .postgres(let settings):
        return PostgresContactStore(settings, logger: logger)
    }
}
