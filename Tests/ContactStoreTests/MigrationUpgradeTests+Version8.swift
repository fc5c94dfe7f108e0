import ContactDomain
@testable import ContactStore
import ContactWorkerTestSupport
import Foundation
import GRDB
import Logging
import PostgresNIO
import Testing

/// Migration 9: interaction and event ids lose their unique indexes (decision 0015).
extension MigrationUpgradeTests {
    @Test(
        "a version 8 database upgrades keeping its interactions in recording order and its events' sequences, never reused",
        arguments: Backend.available)
    func upgradeFromVersion8(backend: Backend) async throws {
        try await withStore(backend, migratedThrough: 8) { store, url in
            let contact = Fixtures.contact()
            let issued = Fixtures.baseTime
            let later = Fixtures.interaction(
                contactID: contact.id, at: Timestamp(microsecondsSinceEpoch: issued.microsecondsSinceEpoch + 1))
            // Ids falling while the recording order rises: a copy ordered by id would show.
            let sameTime = (1...3).reversed().map { index in
                Fixtures.interaction(
                    id: UUID(uuidString: "00000000-0000-4000-a000-00000000000\(index)") ?? UUID(),
                    contactID: contact.id, at: issued)
            }
            let events = (0..<3).map {
                Fixtures.event(contactID: contact.id, at: Timestamp(microsecondsSinceEpoch: $0))
            }
            try await store.apply(StoreBatch(contacts: [contact], interactions: [later] + sameTime, events: events))
            // The newest event gone: its sequence must not come back.
            let highest = try await maximumEventSequence(url: url, backend: backend)
            try await execute(["DELETE FROM events WHERE sequence = \(highest)"], url: url, backend: backend)

            try await store.migrate()
            #expect(try await store.appliedMigrations() == SchemaMigrations.all.map(\.version))
            #expect(
                try await store.interactions(contactID: contact.id, skip: 0, limit: 10).items
                    == [later] + sameTime.reversed())
            #expect(try await store.events(.contact(contact.id)) == Array(events.prefix(2)))

            let newInteraction = Fixtures.interaction(contactID: contact.id, at: issued)
            let newEvent = Fixtures.event(contactID: contact.id)
            try await store.apply(StoreBatch(interactions: [newInteraction], events: [newEvent]))
            #expect(
                try await store.interactions(contactID: contact.id, skip: 0, limit: 10).items
                    == [later, newInteraction] + sameTime.reversed())
            #expect(try await store.events(.contact(contact.id)) == Array(events.prefix(2)) + [newEvent])
            #expect(try await maximumEventSequence(url: url, backend: backend) > highest)

            // The ids are unique by construction now, not by an index: a repeat is stored as given.
            try await store.apply(StoreBatch(interactions: [later], events: [newEvent]))
            #expect(try await store.interactions(contactID: contact.id, skip: 0, limit: 10).total == 6)
            #expect(try await store.events(.contact(contact.id)).count == 4)
            #expect(
                try await indexes(of: "interactions", url: url, backend: backend)
                    == (backend == .sqlite
                        ? ["interactions_contact_recorded"]
                        : ["interactions_contact_recorded", "interactions_pkey"]))
            #expect(
                try await indexes(of: "events", url: url, backend: backend)
                    == (backend == .sqlite
                        ? ["events_contact", "events_time"] : ["events_contact", "events_pkey", "events_time"]))
        }
    }

    /// The largest `events.sequence` stored.
    private func maximumEventSequence(url: String, backend: Backend) async throws -> Int64 {
        let values = try await integers("SELECT max(sequence) FROM events", url: url)
        return try #require(values.first)
    }

    /// The names of the indexes on `table`, sorted (SQLite's automatic ones included).
    private func indexes(of table: String, url: String, backend: Backend) async throws -> [String] {
        switch backend {
        case .sqlite:
            return try await strings(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '\(table)'", url: url
            )
            .sorted()
        case .postgres:
            return try await strings(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = '\(table)'",
                url: url
            ).sorted()
        }
    }

    private func integers(_ sql: String, url: String) async throws -> [Int64] {
        try await rows(sql, url: url, sqlite: { try Int64.fetchAll($0, sql: sql) }, postgres: { $0.decode(Int64.self) })
    }

    private func strings(_ sql: String, url: String) async throws -> [String] {
        try await rows(
            sql, url: url, sqlite: { try String.fetchAll($0, sql: sql) }, postgres: { $0.decode(String.self) })
    }

    /// The one column of `sql`'s rows, read through a connection of the test's own.
    private func rows<Value: Sendable, Decoded: AsyncSequence<Value, any Error>>(
        _ sql: String, url: String, sqlite: @escaping @Sendable (Database) throws -> [Value],
        postgres: @escaping (PostgresRowSequence) -> Decoded
    ) async throws -> [Value] {
        try await onOwnConnection(url: url, sqlite: sqlite) { connection, logger in
            var values: [Value] = []
            for try await value in postgres(try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)) {
                values.append(value)
            }
            return values
        }
    }
}
