import ContactWorkerTestSupport
import Testing

/// The backends the worker tests run against.
public enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    public var testDescription: String { rawValue }

    /// The backends this run tests: SQLite always, PostgreSQL when a server is given
    /// (`CONTACT_WORKER_TEST_POSTGRES_URL`, set by `scripts/with-postgres.sh`). Without one the
    /// PostgreSQL cases are not generated, and the PostgreSQL availability test is reported as
    /// skipped with the reason, so a run without PostgreSQL never counts them as passed.
    public static var available: [Backend] { TestEnvironment.postgresURL == nil ? [.sqlite] : allCases }
}
