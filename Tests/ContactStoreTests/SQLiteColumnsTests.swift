import ContactDomain
import Foundation
import GRDB
import Testing

@testable import ContactStore

@Suite("The per-batch lookups by id, and SQLite rows read with SQLite's C API")
struct SQLiteColumnsTests {
    @Test(
        "contacts(ids:) finds exactly the stored ones, across chunk and statement-size edges",
        arguments: Backend.available)
    func contactLookupEdges(backend: Backend) async throws {
        try await withStore(backend) { store in
            let stored = (0..<600).map { _ in Fixtures.contact() }
            try await store.apply(StoreBatch(contacts: stored))
            let unknown = (0..<40).map { _ in UUID() }
            // The statement sizes are powers of two from 16 and chunks hold 512 ids: counts on
            // each side of those edges, with and then without unknown ids among them.
            for count in [1, 15, 16, 17, 511, 512, 513, 600] {
                let asked = Array(stored.prefix(count))
                let expected = Dictionary(uniqueKeysWithValues: asked.map { ($0.id, $0) })
                #expect(try await store.contacts(ids: asked.map(\.id)) == expected, "\(count) ids")
                let withUnknown = asked.map(\.id) + unknown
                #expect(try await store.contacts(ids: withUnknown) == expected, "\(count) ids and 40 unknown")
            }
            #expect(try await store.contacts(ids: unknown).isEmpty)
        }
    }

    @Test("a stored value of the wrong kind is a corrupt row, named with its table and column")
    func corruptContact() async throws {
        try await withStoreURL(.sqlite) { url in
            let store = try await makeContactStore(url: url)
            do {
                try await store.migrate()
                let contact = Fixtures.contact()
                try await store.apply(StoreBatch(contacts: [contact]))
                let queue = try DatabaseQueue(path: String(url.dropFirst("sqlite:".count)))
                try await queue.write { db in try db.execute(sql: "UPDATE contacts SET version = 'seven'") }
                await #expect {
                    _ = try await store.contacts(ids: [contact.id])
                } throws: { error in
                    guard case StoreError.corruptRow(_, let table, let detail) = error else { return false }
                    return table == "contacts" && detail == "column 13: text where an integer is required"
                }
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    @Test("NULL where a value is required, a malformed id, and text and blobs read as each other")
    func columnValues() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("columns-\(UUID().uuidString).sqlite")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE t (a TEXT, b BLOB, c INTEGER);
                    INSERT INTO t VALUES (NULL, x'616263', 7), ('not-a-uuid', 'text', NULL), ('', x'', NULL);
                    """)
            let statement = try db.cachedStatement(sql: "SELECT a, b, c FROM t ORDER BY rowid")
            var binder = SQLiteRowBinder()
            var rows: [[String]] = []
            try binder.forEachRow(statement) { columns in
                func outcome(_ read: () throws -> String) -> String {
                    do { return try read() } catch let error as RowValueError { return error.detail } catch {
                        return "\(error)"
                    }
                }
                rows.append([
                    outcome { try columns.string(at: 0) },
                    outcome { try columns.uuid(at: 0).uuidString },
                    outcome { try columns.string(at: 1) },
                    outcome { String(decoding: try columns.bytes(at: 1), as: UTF8.self) },
                    outcome { String(try columns.int(at: 2)) },
                    outcome { String(describing: try columns.optionalTimestamp(at: 2)?.microsecondsSinceEpoch) },
                    outcome { String(decoding: try columns.bytes(at: 2), as: UTF8.self) },
                ])
            }
            #expect(
                rows == [
                    [
                        "column 0: NULL where text is required", "column 0: NULL where a UUID is required", "abc",
                        "abc", "7", "Optional(7)", "column 2: an integer where a blob is required",
                    ],
                    [
                        "not-a-uuid", #"column 0: "not-a-uuid" is not a UUID"#, "text", "text",
                        "column 2: NULL where an integer is required", "nil", "column 2: NULL where a blob is required",
                    ],
                    [
                        "", #"column 0: "" is not a UUID"#, "", "", "column 2: NULL where an integer is required",
                        "nil",
                        "column 2: NULL where a blob is required",
                    ],
                ])
        }
    }

    @Test("an interrupted statement is a CancellationError when the task was cancelled, and an error otherwise")
    func interruptedStatements() async throws {
        try await withStoreURL(.sqlite) { url in
            let store = try #require(try await makeContactStore(url: url) as? SQLiteContactStore)
            let interrupted = DatabaseError(resultCode: .SQLITE_INTERRUPT, message: "interrupted")
            #expect(store.storeError(from: interrupted) is StoreError)
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return (
                    store.storeError(from: interrupted) is CancellationError,
                    store.storeError(from: DatabaseError(resultCode: .SQLITE_ABORT)) is CancellationError,
                    store.storeError(from: DatabaseError(resultCode: .SQLITE_BUSY)) is StoreError
                )
            }
            let (interruptCancels, abortCancels, busyStays) = await task.value
            #expect(interruptCancels && abortCancels && busyStays)
            await store.close()
        }
    }
}
