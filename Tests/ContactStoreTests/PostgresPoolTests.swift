import ContactDomain
import ContactStore
import ContactWorkerTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite("PostgreSQL connections: a busy pool, a reserved-word schema")
struct PostgresPoolTests {
    @Test("a call that waits out connect_timeout while another holds the only connection leaves that connection alone")
    func busyPoolIsNotRetired() async throws {
        let base = try Self.postgresBase()
        guard case .postgres(let server) = try DatabaseURL(parsing: base) else {
            throw PoolTestError("not a postgres URL: \(base)")
        }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        // Migrated with a long connect_timeout: at the suite's start the machine is busy and a
        // first connection can take longer than the short timeout this test is about.
        let migrator = try await makeContactStore(
            url: base + "?schema=\(schema)&max_connections=1&\(TestEnvironment.postgresConnectTimeout)")
        try await migrator.migrate()
        await migrator.close()
        let store = try await makeContactStore(url: base + "?schema=\(schema)&max_connections=1&connect_timeout=2")
        try await closing(store, by: { await $0.close() }) { store in
            // Opens the pool's one connection (retrying while the machine is busy).
            var opened = false
            for _ in 0..<20 where !opened {
                opened = (try? await store.ping()) != nil
                if !opened { try await Task.sleep(for: .milliseconds(250)) }
            }
            try #require(opened, "the store never connected")

            // A session of the test's own holds a lock the batch needs.
            let logger = Logger(label: "PostgresPoolTests")
            let locker = try await server.connectForTest(logger: logger)
            try await locker.query("BEGIN", logger: logger)
            try await locker.query(
                PostgresQuery(unsafeSQL: "LOCK TABLE \(schema).consumer_offsets IN ACCESS EXCLUSIVE MODE"),
                logger: logger)

            var batch = StoreBatch()
            batch.offsets = [ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 42)]
            let pending = batch
            // Waits for the lock while holding the pool's only connection.
            let applying = Task { try await store.apply(pending) }
            let deadline = ContinuousClock.now + .seconds(30)
            while try await Self.waitingLocks(on: "\(schema).consumer_offsets", locker, logger) == 0 {
                guard ContinuousClock.now < deadline else { throw PoolTestError("the batch never waited for the lock") }
                try await Task.sleep(for: .milliseconds(20))
            }
            // Cannot get a connection within connect_timeout: a retriable error, and the pool stays.
            await #expect(throws: StoreError.self) { try await store.ping() }

            try await locker.query("COMMIT", logger: logger)
            try await locker.close()
            _ = try await applying.value
            #expect(try await store.offsets(group: "g", topic: "t") == [0: 42])
        }
    }

    /// The test server's URL; without one the test case is skipped (cancelled with the reason).
    private static func postgresBase() throws -> String {
        guard let base = TestEnvironment.postgresURL else {
            try Test.cancel(Comment(rawValue: TestEnvironment.missingPostgres))
        }
        return base
    }

    /// Lock requests waiting on `table` (only that table's: other suites share the server).
    private static func waitingLocks(
        on table: String, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> Int64 {
        let rows = try await connection.query(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass(\(table))", logger: logger
        ).collect()
        return try rows.first?.decode(Int64.self) ?? 0
    }

    @Test("a schema named like a reserved word works (it is quoted)")
    func reservedWordSchema() async throws {
        let base = try Self.postgresBase()
        let store = try await makeContactStore(
            url: base + "?schema=select&max_connections=2&\(TestEnvironment.postgresConnectTimeout)")
        try await closing(store, by: { await $0.close() }) { store in
            try await store.migrate()
            var batch = StoreBatch()
            let group = "g-\(UUID().uuidString.prefix(8))"
            batch.offsets = [ConsumerOffset(group: group, topic: "t", partition: 3, nextOffset: 7)]
            try await store.apply(batch)
            #expect(try await store.offsets(group: group, topic: "t") == [3: 7])
        }
    }
}

private struct PoolTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
