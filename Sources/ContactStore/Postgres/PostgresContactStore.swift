import ContactDomain
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The production store: PostgreSQL through a PostgresNIO connection pool, shared by every worker
/// process of the consumer group.
///
/// The store owns the pool's lifecycle: the first call starts `PostgresClient.run()` in a task, and
/// ``close()`` cancels it. Each call waits at most `connect_timeout` (URL option, default 10 s)
/// for a pooled connection and then fails with a retriable ``StoreError/unavailable(database:underlying:)``;
/// after such a timeout, or after a call lost its connection, the pool is retired and the next call
/// starts a fresh one, so when the server comes back that call connects at once instead of waiting
/// out a pool's reconnect backoff.
///
/// Batches are written with one statement per table, binding one array per column
/// (`INSERT … SELECT … FROM UNNEST($1, $2, …)`): a 1,000-command batch is a handful of round
/// trips, and values are always bound, never spliced into SQL.
public final class PostgresContactStore: ContactStore {
    let settings: DatabaseURL.Postgres
    let database: String
    let logger: Logger
    let state: Mutex<ClientState>

    struct ClientState: ~Copyable {
        var client: PostgresClient?
        var runTask: Task<Void, Never>?
        /// Run tasks of pools replaced after connection failures; awaited by `close()`.
        var retiredTasks: [Task<Void, Never>] = []
        var closed = false
        /// The current pool's generation and the calls holding its connections.
        var leases = PoolLeases()
    }

    /// Creates the store; its connection pool starts with the first call, and connections are
    /// opened on demand.
    ///
    /// Prefer ``makeContactStore(url:logger:)``, which parses `DATABASE_URL`.
    public init(_ settings: DatabaseURL.Postgres, logger: Logger) {
        self.settings = settings
        self.database = DatabaseURL.postgres(settings).description
        self.logger = logger
        self.state = Mutex(ClientState())
    }

    static func startClient(
        _ settings: DatabaseURL.Postgres, logger: Logger
    ) -> (PostgresClient, Task<Void, Never>) {
        let tls: PostgresClient.Configuration.TLS
        // libpq's meanings: prefer and require encrypt but accept any certificate (managed
        // servers and Debian's snakeoil certificate are self-signed); verify-full checks it.
        var encryptOnly = TLSConfiguration.makeClientConfiguration()
        encryptOnly.certificateVerification = .none
        switch settings.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(encryptOnly)
        case .require: tls = .require(encryptOnly)
        case .verifyFull: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: tls)
        configuration.options.maximumConnections = settings.maxConnections
        configuration.options.connectTimeout = settings.connectTimeout
        if let schema = settings.schema {
            // Quoted, so a reserved word (`user`, `select`) is a schema name like any other.
            configuration.options.additionalStartupParameters = [("search_path", "\"\(schema)\"")]
        }
        // The pool logs every failed connection attempt (several per second while the server is
        // down); the store reports outages itself, so only the pool's warnings pass through.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        let task = Task { await client.run() }
        return (client, task)
    }

    /// Creates or upgrades the schema to ``SchemaMigrations/latestVersion`` in one transaction; a no-op when up to date.
    public func migrate() async throws {
        try await migrate(through: SchemaMigrations.latestVersion)
    }

    /// Runs a trivial query; throws the same ``StoreError`` a real call would, for readiness checks.
    public func ping() async throws {
        _ = try await collect("SELECT 1")
    }

    /// Releases the database; later calls fail with ``StoreError/closed(database:)``.
    public func close() async {
        let tasks: [Task<Void, Never>] = state.withLock { state in
            state.closed = true
            state.client = nil
            defer {
                state.runTask = nil
                state.retiredTasks = []
            }
            return state.retiredTasks + (state.runTask.map { [$0] } ?? [])
        }
        for task in tasks {
            task.cancel()
            await task.value
        }
    }
}
