import ContactDomain
import ContactStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// The backends every shared store test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Environment knobs of the store tests (set by `scripts/with-postgres.sh`).
enum TestEnvironment {
    static var postgresURL: String? { value("CONTACT_WORKER_TEST_POSTGRES_URL") }
    static var outageURL: String? { value("CONTACT_WORKER_TEST_POSTGRES_OUTAGE_URL") }
    static var outageControl: String? { value("CONTACT_WORKER_TEST_POSTGRES_OUTAGE_CTL") }
    static var skipPostgres: Bool { value("CONTACT_WORKER_SKIP_POSTGRES") == "1" }

    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// Why PostgreSQL tests cannot run; recorded as a failure, never a silent skip.
    static let missingPostgres =
        "CONTACT_WORKER_TEST_POSTGRES_URL is not set: run the tests through scripts/with-postgres.sh "
        + "(e.g. `scripts/with-postgres.sh swift test`), or set CONTACT_WORKER_SKIP_POSTGRES=1 to skip "
        + "the PostgreSQL cases on purpose"
}



/// Runs `body` against a fresh, migrated store of `backend`: a new SQLite file, or a new schema
/// in the test PostgreSQL database. Returns without running `body` only when PostgreSQL is
/// skipped on purpose (`CONTACT_WORKER_SKIP_POSTGRES=1`); a missing URL otherwise fails the test.
func withStore(
    _ backend: Backend,
    postgresOptions: String = "max_connections=4",
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
    postgresOptions: String = "max_connections=4",
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
            if TestEnvironment.skipPostgres { return }
            Issue.record(Comment(rawValue: TestEnvironment.missingPostgres))
            return
        }
        url = postgresURL(base, options: postgresOptions)
    }
    defer {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
    try await body(url)
}

/// `base` with a unique schema (and extra options) appended, so every test starts empty.
func postgresURL(_ base: String, options: String) -> String {
    let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let separator = base.contains("?") ? "&" : "?"
    return base + separator + "schema=\(schema)" + (options.isEmpty ? "" : "&\(options)")
}

extension DatabaseURL.Postgres {
    /// A session of the test's own on this server (no TLS), outside the store's pool: to hold
    /// locks the store must wait for, or to write rows as an older schema held them.
    func connectForTest(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(host: host, port: port, username: username, password: password, database: database, tls: .disable),
            id: 1, logger: logger)
    }
}
