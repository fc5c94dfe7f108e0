import ContactDomain
import ContactStore
import ContactWorkerTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// The backends every shared store test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The backends this run tests: SQLite always, PostgreSQL when a server is given
    /// (`CONTACT_WORKER_TEST_POSTGRES_URL`, set by `scripts/with-postgres.sh`). Without one the
    /// PostgreSQL cases are not generated, and the PostgreSQL availability test is reported as
    /// skipped with the reason, so a run without PostgreSQL never counts them as passed.
    static var available: [Backend] { TestEnvironment.postgresURL == nil ? [.sqlite] : allCases }
}

/// Runs `body` against a fresh, migrated store of `backend`: a new SQLite file, or a new schema
/// in the test PostgreSQL database. Without a PostgreSQL server the PostgreSQL case is skipped
/// (cancelled with the reason), so it is reported as skipped and never passes.
func withStore(
    _ backend: Backend,
    postgresOptions: String = TestEnvironment.postgresOptions,
    _ body: (any ContactStore) async throws -> Void
) async throws {
    try await withStoreURL(backend, postgresOptions: postgresOptions) { url in
        let store = try await makeContactStore(url: url)
        do {
            try await store.migrate()
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

/// Runs `body` with the `DATABASE_URL` of a fresh, empty store of `backend` (see ``withStore(_:postgresOptions:_:)``),
/// for tests that open and migrate the store themselves.
func withStoreURL(
    _ backend: Backend,
    postgresOptions: String = TestEnvironment.postgresOptions,
    _ body: (String) async throws -> Void
) async throws {
    let url: String
    var directory: URL?
    switch backend {
    case .sqlite:
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "contact-store-tests-\(UUID().uuidString)")
        directory = dir
        url = "sqlite:" + dir.appendingPathComponent("contacts.sqlite").path
    case .postgres:
        guard let base = TestEnvironment.postgresURL else {
            try Test.cancel(Comment(rawValue: TestEnvironment.missingPostgres))
        }
        url = TestEnvironment.freshSchemaURL(on: base, prefix: "t_", options: postgresOptions)
    }
    defer {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
    try await body(url)
}

extension DatabaseURL.Postgres {
    /// A session of the test's own on this server (no TLS), outside the store's pool: to hold
    /// locks the store must wait for, or to write rows as an older schema held them.
    func connectForTest(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(
                host: host, port: port, username: username, password: password, database: database, tls: .disable),
            id: 1, logger: logger)
    }
}
