import Foundation

/// Environment knobs of the tests (set by `scripts/with-postgres.sh`).
public enum TestEnvironment {
    /// The shared test PostgreSQL server; nil when the run has none.
    public static var postgresURL: String? { value("CONTACT_WORKER_TEST_POSTGRES_URL") }
    /// The options a store or worker test adds to its schema on that server unless it gives its
    /// own. The connect timeout is long because every suite starts at once on a machine of two
    /// cores: a first connection can then wait longer than the product's 10 s default for the CPU.
    /// Tests about the timeout set their own.
    public static let postgresOptions = "max_connections=4&\(postgresConnectTimeout)"
    /// The connect timeout of ``postgresOptions``, for tests that set their other options.
    public static let postgresConnectTimeout = "connect_timeout=30"

    /// `base` (a server URL) with a fresh schema named `prefix` and a unique suffix, and `options`,
    /// so every test starts empty.
    public static func freshSchemaURL(on base: String, prefix: String, options: String = postgresOptions) -> String {
        let schema = prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let separator = base.contains("?") ? "&" : "?"
        return base + separator + "schema=\(schema)" + (options.isEmpty ? "" : "&\(options)")
    }
    /// The disposable second server that tests may stop and start (`scripts/with-postgres.sh`).
    public static var outageURL: String? { value("CONTACT_WORKER_TEST_POSTGRES_OUTAGE_URL") }
    /// A `pg_ctl` command line for the disposable server; append `stop -m fast` or `start`.
    public static var outageControl: String? { value("CONTACT_WORKER_TEST_POSTGRES_OUTAGE_CTL") }

    /// The environment variable `name`, nil when it is unset or empty.
    public static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// Why a PostgreSQL test case is skipped (cancelled, so it is reported as skipped and never passes).
    public static let missingPostgres =
        "no PostgreSQL (CONTACT_WORKER_TEST_POSTGRES_URL is not set); run the tests through "
        + "scripts/with-postgres.sh, e.g. `scripts/with-postgres.sh swift test`"
}
