import ContactDomain
import ContactStore
import Foundation
import Testing

@Suite("PostgreSQL connections: a busy pool, a reserved-word schema")
struct PostgresPoolTests {
    @Test("a call that waits out connect_timeout while another holds the only connection leaves that connection alone")
    func busyPoolIsNotRetired() async throws {
        guard let base = TestEnvironment.postgresURL, let pgCtl = TestEnvironment.value("CONTACT_WORKER_TEST_PG_CTL") else {
            if TestEnvironment.skipPostgres { return }
            Issue.record(Comment(rawValue: TestEnvironment.missingPostgres))
            return
        }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let store = try await makeContactStore(url: base + "?schema=\(schema)&max_connections=1&connect_timeout=0.5")
        defer { Task { await store.close() } }
        try await store.migrate()

        // Another session holds a lock the batch needs for 3 s.
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: pgCtl).deletingLastPathComponent().appendingPathComponent("psql")
        psql.arguments = [
            base, "-q", "-c",
            "BEGIN; LOCK TABLE \(schema).consumer_offsets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT;",
        ]
        psql.standardOutput = FileHandle.nullDevice
        try psql.run()
        try await Task.sleep(for: .milliseconds(700))

        var batch = StoreBatch()
        batch.offsets = [ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 42)]
        let pending = batch
        // Waits for the lock while holding the pool's only connection.
        let applying = Task { try await store.apply(pending) }
        try await Task.sleep(for: .milliseconds(300))
        // Cannot get a connection within 0.5 s: a retriable error, and the pool stays.
        await #expect(throws: StoreError.self) { try await store.ping() }

        _ = try await applying.value
        psql.waitUntilExit()
        #expect(psql.terminationStatus == 0)
        #expect(try await store.offsets(group: "g", topic: "t") == [0: 42])
    }

    @Test("a schema named like a reserved word works (it is quoted)")
    func reservedWordSchema() async throws {
        guard let base = TestEnvironment.postgresURL else {
            if TestEnvironment.skipPostgres { return }
            Issue.record(Comment(rawValue: TestEnvironment.missingPostgres))
            return
        }
        let store = try await makeContactStore(url: base + "?schema=select&max_connections=2")
        defer { Task { await store.close() } }
        try await store.migrate()
        var batch = StoreBatch()
        let group = "g-\(UUID().uuidString.prefix(8))"
        batch.offsets = [ConsumerOffset(group: group, topic: "t", partition: 3, nextOffset: 7)]
        try await store.apply(batch)
        #expect(try await store.offsets(group: group, topic: "t") == [3: 7])
    }
}
