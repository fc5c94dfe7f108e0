import ContactDomain
@testable import ContactStore
import ContactWorkerTestSupport
import Foundation
import GRDB
import Logging
import PostgresNIO
import Testing

/// Upgrading a database that holds data: a migration that rebuilds a table must keep every row
/// and every guarantee of the table it replaces.
@Suite("Schema upgrades keep data and guarantees")
struct MigrationUpgradeTests {
    @Test(
        "a version 2 database upgrades keeping its processed commands (still unique) and its pending outbox (in order)",
        arguments: Backend.available)
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
        // No contact row: contacts gained a column since (migration 8) that this build writes.
        try await store.apply(StoreBatch(processedCommands: commands))
        // Outbox rows as builds before migration 4 wrote them: one row per message.
        let legacy =
            // More than one page of the migration's copy (OutboxPacking.legacyPageSize).
            (0..<(OutboxPacking.legacyPageSize + 30)).map {
                Fixtures.outbox(contactID: contact.id, value: "legacy-\($0)")
            } + [
                OutboxMessage(topic: "contacts.dead-letter", key: nil, value: [], headers: [], contactID: nil),
                OutboxMessage(
                    topic: "contacts.command-results", key: [0xFF, 0x00], value: [0, 1, 255],
                    headers: [("correlation-id", Array("c-1".utf8)), ("empty", []), ("correlation-id", [0xFF])],
                    contactID: "é"),
            ]
        try await insertLegacyOutbox(store, legacy)

        try await store.migrate()
        #expect(try await store.appliedMigrations() == SchemaMigrations.all.map(\.version))

        // The pending messages survive in order, renumbered.
        let pending = try await store.pendingOutbox(limit: 5_000)
        #expect(
            pending.map { message in
                var copy = message
                copy.sequence = nil
                return copy
            } == legacy)
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
            try await store.apply(
                StoreBatch(processedCommands: [fresh, Fixtures.processed(id: commands[0].commandID)]))
        }
        if case .constraintViolation = error {
        } else {
            Issue.record("expected a constraint violation, got \(String(describing: error))")
        }
        #expect(try await store.processedCommands(ids: [fresh.commandID]).isEmpty)

        try await store.apply(StoreBatch(processedCommands: [fresh]))
        #expect(try await store.processedCommands(ids: [fresh.commandID]) == [fresh.commandID: fresh])
    }

    @Test(
        "contacts stored before versions existed are numbered from their history and interactions; offsets keep their place",
        arguments: Backend.available)
    func contactVersionsFromHistory(backend: Backend) async throws {
        try await withStore(backend, migratedThrough: 7) { store, url in
            let created = UUID(uuidString: "00000000-0000-4000-a000-000000000001") ?? UUID()
            let busy = UUID(uuidString: "00000000-0000-4000-a000-000000000002") ?? UUID()
            let rows = OldSchemaRows(backend: backend)
            var statements = [
                rows.contact(created), rows.contact(busy), rows.history(created, 1), rows.history(busy, 2),
                rows.history(busy, 3),
                "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, first_offset) VALUES ('g', 't', 0, 42, 7)",
            ]
            statements += (4..<7).map { rows.interaction(busy, $0) }
            try await execute(statements, url: url, backend: backend)

            try await store.migrate()
            let contacts = try await store.contacts(ids: [created, busy])
            #expect(contacts[created]?.version == 1)
            #expect(contacts[busy]?.version == 5)
            #expect(try await store.offsets(group: "g", topic: "t") == [0: 42])
            #expect(try await store.firstOffsets(group: "g", topic: "t") == [0: 7])
            #expect(
                try await store.claimPartitions(group: "g", topic: "t", partitions: [0]) == [
                    0: PartitionClaim(epoch: 1, nextOffset: 42)
                ])
        }
    }

    /// Rows written with SQL, as a build of an older schema left them.
    private struct OldSchemaRows {
        let backend: Backend

        func contact(_ id: UUID) -> String {
            """
            INSERT INTO contacts (id, business_id, display_name, relationship_status, lifecycle_stage, created_at, updated_at)
            VALUES ('\(id.lowercasedString)', 'b', 'Ada', 'prospect', 'awareness', \(timestamp(0)), \(timestamp(0)))
            """
        }

        func history(_ contact: UUID, _ index: Int) -> String {
            """
            INSERT INTO status_history (id, contact_id, to_status, to_lifecycle_stage, "timestamp", changed_by, changed_by_id)
            VALUES ('\(rowID(index))', '\(contact.lowercasedString)', 'prospect', 'awareness', \(timestamp(index)), 'Grace', 'u')
            """
        }

        func interaction(_ contact: UUID, _ index: Int) -> String {
            """
            INSERT INTO interactions (id, contact_id, type, description, "timestamp", performed_by, performed_by_id)
            VALUES ('\(rowID(index))', '\(contact.lowercasedString)', 'call', 'Called', \(timestamp(index)), 'Grace', 'u')
            """
        }

        private func rowID(_ index: Int) -> String { String(format: "00000000-0000-4000-b000-%012d", index) }

        /// Microseconds since the epoch in SQLite, `timestamptz` in PostgreSQL.
        private func timestamp(_ second: Int) -> String {
            let microseconds = 1_704_897_000_000_000 + second * 1_000_000
            switch backend {
            case .sqlite: return "\(microseconds)"
            case .postgres: return "to_timestamp(\(microseconds) / 1000000.0)"
            }
        }
    }

    /// Runs `statements` on the store's database through a connection of the test's own.
    func execute(_ statements: [String], url: String, backend: Backend) async throws {
        try await onOwnConnection(
            url: url,
            sqlite: { db in for statement in statements { try db.execute(sql: statement) } },
            postgres: { connection, logger in
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            })
    }

    /// Runs `sqlite` or `postgres` on the store's database through a connection of the test's own,
    /// on the store's schema.
    func onOwnConnection<T: Sendable>(
        url: String, sqlite: @escaping @Sendable (Database) throws -> T,
        postgres: (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        switch try DatabaseURL(parsing: url) {
        case .sqlite(let settings):
            let queue = try DatabaseQueue(path: try #require(settings.path))
            let result = try await queue.write(sqlite)
            try queue.close()
            return result
        case .postgres(let settings):
            let logger = Logger(label: "MigrationUpgradeTests")
            let connection = try await settings.connectForTest(logger: logger)
            return try await closing(connection, by: { try? await $0.close() }) { connection in
                if let schema = settings.schema {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "SET search_path TO \"\(schema)\""), logger: logger)
                }
                return try await postgres(connection, logger)
            }
        }
    }

    @Test(
        "a version 5 database upgrades to recording order: its entries keep theirs, later ones list before them",
        arguments: Backend.available)
    func upgradeFromVersion5(backend: Backend) async throws {
        try await withStoreURL(backend) { url in
            let store = try await makeContactStore(url: url)
            do {
                try await upgradeToRecordingOrder(store, url: url, backend: backend)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    private func upgradeToRecordingOrder(_ store: any ContactStore, url: String, backend: Backend) async throws {
        try await migrate(store, through: 5)
        #expect(try await store.appliedMigrations() == [1, 2, 3, 4, 5])

        // Two contacts whose commands carry one issued_at, over two batches, plus entries at
        // other times, written by the version 5 schema.
        let issued = Fixtures.baseTime
        let contacts = [Fixtures.contact(), Fixtures.contact()]
        var interactions: [UUID: [Interaction]] = [:]
        var history: [UUID: [StatusHistoryEntry]] = [:]
        // Contact rows as the version 5 schema held them (this build writes a later column).
        try await execute(contacts.map { OldSchemaRows(backend: backend).contact($0.id) }, url: url, backend: backend)
        var batches = [StoreBatch(), StoreBatch()]
        for contact in contacts {
            let creation = Fixtures.historyEntry(contactID: contact.id, at: issued)
            let changes = (0..<4).map { index in
                Fixtures.historyEntry(
                    contactID: contact.id, from: index.isMultiple(of: 2) ? .prospect : .qualifiedLead,
                    to: index.isMultiple(of: 2) ? .qualifiedLead : .prospect, at: issued)
            }
            let later = Fixtures.interaction(
                contactID: contact.id, at: Timestamp(microsecondsSinceEpoch: issued.microsecondsSinceEpoch + 1))
            let sameTime = (0..<4).map { _ in Fixtures.interaction(contactID: contact.id, at: issued) }
            batches[0].interactions += [later] + sameTime[0..<2]
            batches[0].statusHistory += [creation] + changes[0..<2]
            batches[1].interactions += sameTime[2..<4]
            batches[1].statusHistory += changes[2..<4]
            interactions[contact.id] = [later] + sameTime.reversed()
            history[contact.id] = changes.reversed() + [creation]
        }
        for batch in batches { try await store.apply(batch) }

        try await store.migrate()
        #expect(try await store.appliedMigrations() == SchemaMigrations.all.map(\.version))
        for contact in contacts {
            #expect(
                try await store.interactions(contactID: contact.id, skip: 0, limit: 100).items
                    == interactions[contact.id])
            #expect(
                try await store.statusHistory(contactID: contact.id, skip: 0, limit: 100).items == history[contact.id])
        }

        // Entries recorded after the upgrade, with the same timestamp, list before the older ones.
        let contact = contacts[0]
        let newInteraction = Fixtures.interaction(contactID: contact.id, at: issued)
        let newEntry = Fixtures.historyEntry(contactID: contact.id, from: .qualifiedLead, to: .prospect, at: issued)
        try await store.apply(StoreBatch(interactions: [newInteraction], statusHistory: [newEntry]))
        let listed = interactions[contact.id] ?? []
        #expect(
            try await store.interactions(contactID: contact.id, skip: 0, limit: 100).items
                == [listed[0], newInteraction] + listed.dropFirst())
        #expect(
            try await store.statusHistory(contactID: contact.id, skip: 0, limit: 100).items
                == [newEntry] + (history[contact.id] ?? []))
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

    /// Runs `body` with a store on a new database migrated up to `version` only, and its URL.
    func withStore(
        _ backend: Backend, migratedThrough version: Int, _ body: (any ContactStore, String) async throws -> Void
    ) async throws {
        try await withStoreURL(backend) { url in
            let store = try await makeContactStore(url: url)
            try await closing(store, by: { await $0.close() }) { store in
                try await migrate(store, through: version)
                try await body(store, url)
            }
        }
    }

    /// Runs the concrete store's migrations up to `version` only.
    func migrate(_ store: any ContactStore, through version: Int) async throws {
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
