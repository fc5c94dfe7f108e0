import ContactDomain
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import ContactStore

@Suite("SQLiteRowBinder: the batch write's rows bound with SQLite's C API, on a real SQLite file")
struct SQLiteRowBinderTests {
    /// A fresh database file with one table of every kind of column the batch write binds.
    private func withTable(_ body: (DatabaseQueue) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("binder-\(UUID().uuidString).sqlite")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT, n INTEGER, body BLOB, at INTEGER)")
        }
        try body(queue)
    }

    private static let insert = "INSERT INTO t (id, name, n, body, at) VALUES (?, ?, ?, ?, ?)"

    @Test("text, ids, integers, timestamps, blobs and NULLs are stored as bound, with SQLite's types")
    func roundTrip() throws {
        try withTable { queue in
            let id = UUID(uuidString: "550E8400-E29B-41D4-A716-446655440000")!
            try queue.write { db in
                let statement = try db.cachedStatement(sql: Self.insert)
                var row = SQLiteRowBinder()
                row.bind(id)
                row.bind("Zoë \u{0}after NUL")
                row.bind(Int64.min)
                row.bind(blob: [0, 1, 2, 255])
                row.bind(Timestamp(microsecondsSinceEpoch: 1_700_000_000_123_456))
                try row.execute(statement)
                row.bind("empty")
                row.bind("")
                row.bind(Int.max)
                row.bind(blob: [])
                row.bind(nil as Timestamp?)
                try row.execute(statement)
                row.bind("nulls")
                row.bind(nil as String?)
                row.bind(nil as Int64?)
                row.bind(blob: [7])
                row.bind(nil as Timestamp?)
                try row.execute(statement)
            }
            let rows = try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT id, name, typeof(name), n, typeof(n), hex(body), typeof(body), at, typeof(at) FROM t ORDER BY rowid"
                )
            }
            #expect(rows.count == 3)
            #expect(rows[0][0] == "550e8400-e29b-41d4-a716-446655440000")
            // All the bytes, the NUL included (read as hex: GRDB reads text up to a NUL).
            #expect(rows[0][1] == "Zoë ")
            #expect(rows[0][2] == "text")
            let stored = try queue.read { db in try String.fetchOne(db, sql: "SELECT hex(name) FROM t LIMIT 1") }
            #expect(stored == Array("Zoë \u{0}after NUL".utf8).map { String(format: "%02X", $0) }.joined())
            #expect(rows[0][3] == Int64.min)
            #expect(rows[0][5] == "000102FF")
            #expect(rows[0][7] == Int64(1_700_000_000_123_456))
            #expect(rows[1][1] == "" && rows[1][2] == "text")
            #expect(rows[1][3] == Int64(Int.max))
            #expect(rows[1][5] == "" && rows[1][6] == "blob")
            #expect(rows[1][8] == "null")
            #expect(rows[2][2] == "null" && rows[2][4] == "null" && rows[2][8] == "null")
        }
    }

    @Test("a failed row throws SQLite's error, and the statement runs the next row with that row's values only")
    func failureThenReuse() throws {
        try withTable { queue in
            try queue.write { db in
                let statement = try db.cachedStatement(sql: Self.insert)
                var row = SQLiteRowBinder()
                func bindA() {
                    row.bind("a")
                    row.bind("first")
                    row.bind(1 as Int64?)
                    row.bind(blob: [1])
                    row.bind(nil as Timestamp?)
                }
                bindA()
                try row.execute(statement)
                bindA()
                let error = #expect(throws: DatabaseError.self) { try row.execute(statement) }
                #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY)
                #expect(error?.message == "UNIQUE constraint failed: t.id")
                #expect(
                    Self.boundSQL(statement)
                        == "INSERT INTO t (id, name, n, body, at) VALUES (NULL, NULL, NULL, NULL, NULL)")
                #expect(error?.sql == Self.insert)
                row.bind("b")
                row.bind(nil as String?)
                row.bind(nil as Int64?)
                row.bind(blob: [2])
                row.bind(nil as Timestamp?)
                try row.execute(statement)
                // GRDB's own execution of the same cached statement still works after it.
                try statement.execute(arguments: ["c", "grdb", 3, Data([3]), nil])
            }
            let rows = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT id, name, n, hex(body) FROM t ORDER BY rowid")
            }
            #expect(rows.map { $0[0] as String } == ["a", "b", "c"])
            #expect(rows[1][1] == nil as String? && rows[1][2] == nil as Int64? && rows[1][3] == "02")
            #expect(rows[2][1] == "grdb")
        }
    }

    @Test("values that do not match the statement's parameters are refused before anything runs")
    func parameterCountMismatch() throws {
        try withTable { queue in
            try queue.write { db in
                let statement = try db.cachedStatement(sql: Self.insert)
                var row = SQLiteRowBinder()
                row.bind("only-one")
                let error = #expect(throws: DatabaseError.self) { try row.execute(statement) }
                #expect(error?.resultCode == .SQLITE_MISUSE)
                #expect(error?.message == "1 values for 5 parameters")
                // The refused values are forgotten: a full row after it is stored as bound.
                row.bind("x")
                row.bind("y")
                row.bind(2 as Int64?)
                row.bind(blob: [])
                row.bind(nil as Timestamp?)
                try row.execute(statement)
            }
            #expect(try queue.read { db in try String.fetchAll(db, sql: "SELECT id || name FROM t") } == ["xy"])
        }
    }

    /// The statement's SQL with its current bindings spelled in (`sqlite3_expanded_sql`).
    static func boundSQL(_ statement: Statement) -> String? {
        guard let expanded = sqlite3_expanded_sql(statement.sqliteStatement) else { return nil }
        defer { sqlite3_free(expanded) }
        return String(cString: expanded)
    }

    @Test("an empty string and an empty blob bound alone are an empty text and an empty blob, not NULL")
    func emptyValuesAlone() throws {
        try withTable { queue in
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE e (v)")
                let statement = try db.cachedStatement(sql: "INSERT INTO e (v) VALUES (?)")
                var row = SQLiteRowBinder()
                row.bind("")
                try row.execute(statement)
                row.bind(blob: [])
                try row.execute(statement)
            }
            let types = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT typeof(v), length(v) FROM e ORDER BY rowid").map {
                    "\($0[0] as String) \($0[1] as Int)"
                }
            }
            #expect(types == ["text 0", "blob 0"])
        }
    }

    @Test("after a run, a failure or a row reader that throws, the statement holds no bindings into the buffer")
    func bindingsCleared() throws {
        struct Stop: Error {}
        try withTable { queue in
            try queue.write { db in
                let insert = try db.cachedStatement(sql: Self.insert)
                var row = SQLiteRowBinder()
                row.bind("k")
                row.bind("name")
                row.bind(5 as Int64?)
                row.bind(blob: [9])
                row.bind(Timestamp(microsecondsSinceEpoch: 1))
                try row.execute(insert)
                #expect(
                    Self.boundSQL(insert)
                        == "INSERT INTO t (id, name, n, body, at) VALUES (NULL, NULL, NULL, NULL, NULL)")
                let select = try db.cachedStatement(sql: "SELECT name FROM t WHERE id = ?")
                row.bind("k")
                #expect(throws: Stop.self) { try row.forEachRow(select) { _ in throw Stop() } }
                #expect(Self.boundSQL(select) == "SELECT name FROM t WHERE id = NULL")
                var names: [String] = []
                row.bind("k")
                try row.forEachRow(select) { names.append(try $0.string(at: 0)) }
                #expect(names == ["name"])
                #expect(Self.boundSQL(select) == "SELECT name FROM t WHERE id = NULL")
            }
        }
    }
}
