import ContactDomain
import ContactStore
import Foundation

/// A test double around a real store: every call goes to `base` unless the double implements it
/// itself (as ``FailingOnceStore`` does for `apply` and `offsets`).
extension StoreError {
    /// The "database unavailable" the test doubles throw: retriable, so the worker backs off.
    static var testOutage: StoreError { .unavailable(database: "test", underlying: "down for the test") }
}

protocol ForwardingStore: ContactStore {
    var base: any ContactStore { get }
}

extension ForwardingStore {
    func migrate() async throws { try await base.migrate() }
    func appliedMigrations() async throws -> [Int] { try await base.appliedMigrations() }
    func apply(_ batch: StoreBatch) async throws -> [Int64] { try await base.apply(batch) }
    func contact(id: UUID, businessID: String) async throws -> Contact? {
        try await base.contact(id: id, businessID: businessID)
    }
    func contacts(ids: [UUID]) async throws -> [UUID: Contact] { try await base.contacts(ids: ids) }
    func page<Item>(of timeline: Timeline<Item>, contactID: UUID, skip: Int, limit: Int) async throws -> Page<Item> {
        try await base.page(of: timeline, contactID: contactID, skip: skip, limit: limit)
    }
    func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand] {
        try await base.processedCommands(ids: ids)
    }
    func pendingOutbox(_ selection: OutboxSelection, limit: Int) async throws -> [OutboxMessage] {
        try await base.pendingOutbox(selection, limit: limit)
    }
    func lastOutboxSequence() async throws -> Int64? { try await base.lastOutboxSequence() }
    func pendingOutboxCount() async throws -> Int { try await base.pendingOutboxCount() }
    func markPublished(sequences: [Int64]) async throws { try await base.markPublished(sequences: sequences) }
    func offsets(group: String, topic: String) async throws -> [Int32: Int64] {
        try await base.offsets(group: group, topic: topic)
    }
    func claimPartitions(group: String, topic: String, partitions: [Int32]) async throws -> [Int32: PartitionClaim] {
        try await base.claimPartitions(group: group, topic: topic, partitions: partitions)
    }
    func firstOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
        try await base.firstOffsets(group: group, topic: topic)
    }
    func forEachEventPage(_ selection: EventSelection, pageSize: Int, _ body: @escaping EventPageBody) async throws {
        try await base.forEachEventPage(selection, pageSize: pageSize, body)
    }
    func ping() async throws { try await base.ping() }
    func close() async { await base.close() }
}
