import ContactStore
import ContactWorkerTestSupport
import Foundation
import Testing

/// Reports, as a test of its own, whether this run covers PostgreSQL: with no server the worker
/// tests generate only their SQLite cases (``Backend/available``), and this test is the one that
/// shows up as skipped, with the reason.
@Suite("PostgreSQL test server (worker tests)")
struct PostgresAvailabilityTests {
    @Test(
        "the worker's store opens and migrates on the test server (without one, every PostgreSQL case is skipped)",
        .enabled(if: TestEnvironment.postgresURL != nil, Comment(rawValue: TestEnvironment.missingPostgres)))
    func storeOpens() async throws {
        let base = try #require(TestEnvironment.postgresURL)
        let store = try await makeContactStore(url: TestEnvironment.freshSchemaURL(on: base, prefix: "a_"))
        do {
            try await store.migrate()
            #expect(try await ContactStoreSchema.mismatchedVersion(of: store) == nil)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
