import Foundation
import GRDB
import Logging
import Testing

@testable import ContactStore

/// The memory settings of `DATABASE_URL` reach every connection the SQLite store opens.
@Suite("SQLite connection settings")
struct SQLiteSettingsTests {
    @Test("cache_size_mib and mmap_size_mib set the writer's and the readers' page cache and mapping")
    func memorySettingsReachEveryConnection() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "contact-store-settings-\(UUID().uuidString)")
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
}
