import ContactDomain
import Foundation
import GRDB
import Logging
import Synchronization

/// The embedded store: one SQLite file in WAL mode, accessed through a GRDB `DatabasePool`
/// (one writer, concurrent readers).
///
/// Durability: WAL with `synchronous=NORMAL` makes every committed transaction survive a process
/// crash (`kill -9`): the commit is in the WAL file before `apply` returns, and SQLite replays the
/// WAL on the next open. Only a power loss or kernel crash can lose the last few transactions,
/// because the WAL is fsynced at checkpoints rather than on every commit. The worker's guarantee is
/// about process crashes, so NORMAL is the default; `?synchronous=full` in the URL fsyncs on every
/// commit for hosts where power loss matters more than throughput.
public final class SQLiteContactStore: ContactStore {
    private let writer: any DatabaseWriter
    let database: String
    let logger: Logger
    private let isClosed = Mutex(false)
    private let checkpointer: SQLiteCheckpointer?

    /// The page size of a database file this store creates, in bytes.
    static let pageSize = 8192

    /// The WAL size past which the writer checkpoints itself, when the background checkpoints fall
    /// behind.
    static let writerCheckpointBytes = 256 * 1_048_576

    /// Opens (creating if needed, with its parent directory) the database file named by `settings`.
    ///
    /// - Throws: ``StoreError/unavailable(database:underlying:)`` when the file cannot be created
    ///   or opened (missing permissions, a path component that is a file, a full disk).
    public init(_ settings: DatabaseURL.SQLite, logger: Logger) throws {
        self.database = DatabaseURL.sqlite(settings).description
        self.logger = logger
        var configuration = Configuration()
        configuration.label = "ContactStore"
        configuration.busyMode = .timeout(TimeInterval(settings.busyTimeoutMilliseconds) / 1000)
        let synchronous = settings.synchronousFull ? "FULL" : "NORMAL"
        let (cacheKibibytes, mmapBytes) = (settings.cacheSizeMiB * 1024, settings.mmapSizeMiB * 1_048_576)
        configuration.prepareDatabase { db in
            // Takes effect only in a file that has no pages yet (the pool turns WAL mode on after
            // this): an existing database keeps its page size. 8 KiB pages take fewer WAL frames,
            // overflow pages and b-tree levels per batch than SQLite's 4 KiB (decision 0017).
            try db.execute(sql: "PRAGMA page_size = \(Self.pageSize)")
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // The page cache and mapped pages are the worker's resident memory. A batch's index
            // inserts land all over the indexes, so no cache of a bounded size holds them; a
            // small one costs little, and pages it misses are read from the OS page cache
            // (decision 0013).
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKibibytes)")
            try db.execute(sql: "PRAGMA mmap_size = \(mmapBytes)")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // SQLite built with SECURE_DELETE (Debian's is) zeroes freed pages, which writes every page
            // of a deleted outbox row once more; FAST zeroes deleted content only in pages that
            // are written anyway.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
            // A 1,000-command batch writes a few MB of WAL. Checkpoints run on a background
            // connection (SQLiteCheckpointer); the writer only checkpoints itself past 256 MiB,
            // a threshold SQLite counts in pages of the file's own size.
            let pageBytes = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? Self.pageSize
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.writerCheckpointBytes / pageBytes)")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        do {
            if let path = settings.path {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                // DatabasePool turns WAL mode on when it opens the file, and sets its writer's
                // `synchronous` to NORMAL as it does, after `prepareDatabase`: the setting is made
                // again on the writer, the one connection that commits.
                let pool = try DatabasePool(path: path, configuration: configuration)
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
                writer = pool
                checkpointer = try SQLiteCheckpointer(path: path, interval: .milliseconds(200), logger: logger)
            } else {
                writer = try DatabaseQueue(configuration: configuration)
                checkpointer = nil
            }
        } catch {
            throw StoreError.unavailable(database: database, underlying: Self.describe(error))
        }
        logger.debug("opened SQLite store", metadata: ["database": "\(database)", "synchronous": "\(synchronous)"])
    }

    /// Creates or upgrades the schema to ``SchemaMigrations/latestVersion`` in one transaction; a no-op when up to date.
    public func migrate() async throws {
        try await migrate(through: SchemaMigrations.latestVersion)
    }

    /// Runs a trivial query; throws the same ``StoreError`` a real call would, for readiness checks.
    public func ping() async throws {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Releases the database; later calls fail with ``StoreError/closed(database:)``.
    public func close() async {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        if let checkpointer {
            checkpointer.stop()
            // SQLite copies the WAL into the database file when its last connection closes, but
            // the pool closes its writer before its readers, which open read-only and cannot. So
            // the writer empties the WAL itself: after close, the database file alone holds every
            // committed change (a copy of it is whole). Failing (another process using the file)
            // loses nothing; the next open replays the WAL.
            do {
                try await writer.writeWithoutTransaction { db in
                    // TRUNCATE waits for other processes' readers and writers; a short wait, since
                    // a WAL left behind is replayed by the next open anyway.
                    try db.execute(sql: "PRAGMA busy_timeout = 100")
                    _ = try db.checkpoint(.truncate)
                }
            } catch {
                logger.debug("checkpoint at close failed", metadata: ["database": "\(database)", "error": "\(error)"])
            }
        }
        do {
            try writer.close()
        } catch {
            logger.warning("closing SQLite store failed", metadata: ["database": "\(database)", "error": "\(error)"])
        }
    }

    /// Runs `updates` in one IMMEDIATE transaction, mapping failures to ``StoreError``.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        do {
            // IMMEDIATE takes the write lock up front, so two processes sharing the file wait on the
            // busy timeout instead of failing to upgrade a read lock mid-transaction.
            return try await writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try updates(db)
                    return .commit
                }
                guard let result else {
                    throw StoreError.unexpected(database: self.database, underlying: "transaction produced no result")
                }
                return result
            }
        } catch {
            throw storeError(from: error)
        }
    }

    /// Runs `value` on a reader connection, mapping failures to ``StoreError``.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        do {
            return try await writer.read(value)
        } catch {
            throw storeError(from: error)
        }
    }

    private func checkOpen() throws {
        if isClosed.withLock({ $0 }) {
            throw StoreError.closed(database: database)
        }
    }
}
