import ContactStore
import ContactWorkerTestSupport
import Logging
import PostgresNIO
import Testing

/// Reports, as a test of its own, whether this run covers PostgreSQL: with no server the backend
/// tests generate only their SQLite cases (``Backend/available``), and this test is the one that
/// shows up as skipped, with the reason.
@Suite("PostgreSQL test server")
struct PostgresAvailabilityTests {
    @Test(
        "the test server answers and is PostgreSQL 15 (without one, every PostgreSQL case is skipped)",
        .enabled(if: TestEnvironment.postgresURL != nil, Comment(rawValue: TestEnvironment.missingPostgres)))
    func serverAnswers() async throws {
        let base = try #require(TestEnvironment.postgresURL)
        guard case .postgres(let server) = try DatabaseURL(parsing: base) else {
            Issue.record("CONTACT_WORKER_TEST_POSTGRES_URL is not a PostgreSQL URL: \(base)")
            return
        }
        let logger = Logger(label: "PostgresAvailabilityTests")
        let connection = try await server.connectForTest(logger: logger)
        do {
            let rows = try await connection.query("SHOW server_version_num", logger: logger)
            var versions: [Int] = []
            for try await (text) in rows.decode(String.self) { versions.append(Int(text) ?? 0) }
            #expect(versions.count == 1)
            #expect((150_000..<160_000).contains(versions.first ?? 0), "server_version_num \(versions)")
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
