import Foundation
import GRDB
import Logging
import Testing

@testable import ContactStore

/// The memory settings of `DATABASE_URL` reach every connection the SQLite store opens, and closing
/// the store leaves the database file whole.
@Suite("SQLite connections: settings and close")
struct SQLiteSettingsTests {
    @Test("cache_size_mib and mmap_size_mib set the writer's and the readers' page cache and mapping")
    func memorySettingsReachEveryConnection() async throws {
        let directory = Self.scratchDirectory("contact-store-settings")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try DatabaseURL(
            parsing: "sqlite:" + directory.appendingPathComponent("c.sqlite").path + "?cache_size_mib=3&mmap_size_mib=5"
        )
        guard case .sqlite(let settings) = url else {
            Issue.record("not an SQLite URL: \(url)")
            return
        }
        let store = try SQLiteContactStore(settings, logger: Logger(label: "test"))
        @Sendable func pragmas(_ db: Database) throws -> [Int] {
            [
                try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0,
                try Int.fetchOne(db, sql: "PRAGMA mmap_size") ?? 0,
            ]
        }
        let writer = try await store.write(pragmas)
        let reader = try await store.read(pragmas)
        await store.close()
        #expect(writer == [-3 * 1024, 5 * 1_048_576])
        #expect(reader == [-3 * 1024, 5 * 1_048_576])
    }

    @Test("close leaves every committed change in the database file, so a copy of the file alone is whole")
    func closeCheckpointsTheWAL() async throws {
        let directory = Self.scratchDirectory("contact-store-close")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("c.sqlite").path
        let store = try SQLiteContactStore(DatabaseURL.SQLite(path: path), logger: Logger(label: "test"))
        try await store.migrate()
        // A read opens a reader connection, which then closes after the writer.
        #expect(try await store.appliedMigrations() == Array(1...SchemaMigrations.latestVersion))
        await store.close()

        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "the WAL still holds \(wal) bytes after close")
        let copy = directory.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let version = try await DatabaseQueue(path: copy).read { db in
            try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations")
        }
        #expect(version == SchemaMigrations.latestVersion)
    }

    @Test("a database file the store creates has 8 KiB pages; an existing file keeps its own page size")
    func pageSizeOfNewFilesOnly() async throws {
        let directory = Self.scratchDirectory("contact-store-pages")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func pageSize(_ db: Database) throws -> Int { try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0 }

        let created = directory.appendingPathComponent("new.sqlite").path
        let new = try SQLiteContactStore(DatabaseURL.SQLite(path: created), logger: Logger(label: "test"))
        try await new.migrate()
        #expect(try await new.read(pageSize) == 8192)
        // The writer's own checkpoint threshold stays 256 MiB of WAL whatever the page size.
        let walPages = try await new.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(walPages == 256 * 1_048_576 / 8192)
        await new.close()

        // A file made elsewhere with pages of another size, before the store first opens it.
        let existing = directory.appendingPathComponent("old.sqlite").path
        try await DatabaseQueue(path: existing).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "CREATE TABLE before_the_store (x INTEGER)")
        }
        let old = try SQLiteContactStore(DatabaseURL.SQLite(path: existing), logger: Logger(label: "test"))
        try await old.migrate()
        #expect(try await old.read(pageSize) == 16384)
        #expect(try await old.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 256 * 64)
        #expect(try await old.appliedMigrations() == Array(1...SchemaMigrations.latestVersion))
        await old.close()
    }

    @Test("synchronous=full reaches the connection that commits; the default is NORMAL", arguments: [true, false])
    func synchronousReachesTheWriter(full: Bool) async throws {
        let directory = Self.scratchDirectory("contact-store-sync")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("c.sqlite").path
        let store = try SQLiteContactStore(
            DatabaseURL.SQLite(path: path, synchronousFull: full), logger: Logger(label: "test"))
        let synchronous = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        await store.close()
        // SQLite's values: 1 is NORMAL, 2 is FULL.
        #expect(synchronous == (full ? 2 : 1))
    }

    /// A directory of its own for one test's database files (made by the store when it opens one);
    /// the test removes it.
    private static func scratchDirectory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }
}
