import ContactDomain
@testable import ContactStore
import Foundation
import Testing

/// Upgrading a database that holds data: a migration that rebuilds a table must keep every row
/// and every guarantee of the table it replaces.
@Suite("Schema upgrades keep data and guarantees")
struct MigrationUpgradeTests {
    @Test(
        "a version 2 database upgrades keeping its processed commands (still unique) and its pending outbox (in order)",
        arguments: Backend.allCases)
    func upgradeFromVersion2(backend: Backend) async throws {
        try await withStoreURL(backend) { url in
            let store = try await makeContactStore(url: url)
            do {
                try await upgrade(store)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    private func upgrade(_ store: any ContactStore) async throws {
        try await migrate(store, through: 2)
        #expect(try await store.appliedMigrations() == [1, 2])

        let contact = Fixtures.contact()
        let commands = [
            Fixtures.processed(contactID: contact.id, status: 201, body: Array(0...255), at: Fixtures.baseTime),
            Fixtures.processed(contactID: contact.id, status: 409, body: [], at: Timestamp(microsecondsSinceEpoch: 1)),
            ProcessedCommand(
                commandID: "not-a-uuid", fingerprint: "f", businessID: nil, contactID: nil, commandType: nil,
                resultStatus: 422, resultBody: Array("{}".utf8), processedAt: Fixtures.baseTime),
        ]
        try await store.apply(StoreBatch(contacts: [contact], processedCommands: commands))
        // Outbox rows as builds before migration 4 wrote them: one row per message.
        let legacy =
            // More than one page of the migration's copy (OutboxPacking.legacyPageSize).
            (0..<(OutboxPacking.legacyPageSize + 30)).map { Fixtures.outbox(contactID: contact.id, value: "legacy-\($0)") } + [
                OutboxMessage(topic: "contacts.dead-letter", key: nil, value: [], headers: [], contactID: nil),
                OutboxMessage(
                    topic: "contacts.command-results", key: [0xFF, 0x00], value: [0, 1, 255],
                    headers: [("correlation-id", Array("c-1".utf8)), ("empty", []), ("correlation-id", [0xFF])],
                    contactID: "é"),
            ]
        try await insertLegacyOutbox(store, legacy)

        try await store.migrate()
        #expect(try await store.appliedMigrations() == [1, 2, 3, 4, 5])

        // The pending messages survive in order, renumbered.
        let pending = try await store.pendingOutbox(limit: 5_000)
        #expect(pending.map { message in var copy = message; copy.sequence = nil; return copy } == legacy)
        let sequences = pending.compactMap(\.sequence)
        #expect(sequences.count == legacy.count)
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
        #expect(try await store.pendingOutboxCount() == legacy.count)
        let added = try await store.apply(StoreBatch(outbox: [Fixtures.outbox(contactID: contact.id, value: "new")]))
        #expect(added.count == 1 && added[0] > (sequences.last ?? .max))
        try await store.markPublished(sequences: sequences)
        #expect(try await store.pendingOutbox(limit: 5_000).map(\.value) == [Array("new".utf8)])

        let lookup = try await store.processedCommands(ids: commands.map(\.commandID))
        #expect(lookup.count == commands.count)
        for command in commands {
            #expect(lookup[command.commandID] == command)
        }

        // A command id seen before the upgrade is still rejected, and the batch rolls back.
        let fresh = Fixtures.processed(contactID: contact.id)
        let error = await #expect(throws: StoreError.self) {
            try await store.apply(StoreBatch(processedCommands: [fresh, Fixtures.processed(id: commands[0].commandID)]))
        }
        if case .constraintViolation = error {} else {
            Issue.record("expected a constraint violation, got \(String(describing: error))")
        }
        #expect(try await store.processedCommands(ids: [fresh.commandID]).isEmpty)

        try await store.apply(StoreBatch(processedCommands: [fresh]))
        #expect(try await store.processedCommands(ids: [fresh.commandID]) == [fresh.commandID: fresh])
    }

    /// Writes `messages` the way builds before migration 4 did.
    private func insertLegacyOutbox(_ store: any ContactStore, _ messages: [OutboxMessage]) async throws {
        switch store {
        case let sqlite as SQLiteContactStore:
            try await sqlite.insertLegacyOutboxRows(messages)
        case let postgres as PostgresContactStore:
            try await postgres.insertLegacyOutboxRows(messages)
        default:
            Issue.record("no legacy outbox for \(type(of: store))")
        }
    }

    /// Runs the concrete store's migrations up to `version` only.
    private func migrate(_ store: any ContactStore, through version: Int) async throws {
        switch store {
        case let sqlite as SQLiteContactStore:
            try await sqlite.migrate(through: version)
        case let postgres as PostgresContactStore:
            try await postgres.migrate(through: version)
        default:
            Issue.record("no partial migration for \(type(of: store))")
        }
    }
}
