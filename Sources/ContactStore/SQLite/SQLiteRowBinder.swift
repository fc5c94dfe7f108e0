import ContactDomain
import Foundation
import GRDB
import GRDBSQLite

/// Binds one row's values to a prepared statement with SQLite's C API, then runs it: the batch
/// write's per-row INSERT and UPDATE statements, and the per-batch lookups by id (rows read with
/// ``SQLiteColumns``).
///
/// Written by hand rather than GRDB's `execute(arguments:)`, whose per-value work (an existential
/// per value, argument validation, one nested closure per binding) weighed on this path
/// (decision 0018). A row's strings, ids and bytes are copied into one reused buffer and bound
/// from it without another copy (`SQLITE_STATIC`); the statement is reset and its bindings
/// cleared before the buffer can move or be reused, whichever way the run ends.
///
/// It leaves out GRDB's statement bookkeeping, which these statements do not need: transaction
/// observers (the store registers none) and the check for an aborted transaction (a failed
/// statement throws, and the batch's transaction rolls back). Use it only for statements that
/// change rows inside a transaction GRDB opened, and for queries. The statements it runs have
/// their bindings cleared: GRDB may run them again only with arguments of its own
/// (`execute(arguments:)`), never with arguments it believes are still bound.
struct SQLiteRowBinder {
    private enum Value {
        case null
        case integer(Int64)
        case text(start: Int, count: Int)
        case blob(start: Int, count: Int)
    }

    /// The row's values, in parameter order.
    private var values: [Value] = []
    /// The bytes of the row's text and blob values. Its first byte is never bound, so the
    /// buffer always has an address: SQLite binds NULL for a text or blob without one, and an
    /// empty string must stay empty.
    private var bytes: [UInt8] = [0]

    init() {
        values.reserveCapacity(16)
        bytes.reserveCapacity(4096)
    }

    mutating func bind(_ value: String?) {
        guard let value else {
            values.append(.null)
            return
        }
        let start = bytes.count
        value.withUTF8Bytes { bytes.append(contentsOf: $0) }
        values.append(.text(start: start, count: bytes.count - start))
    }

    /// An id, as its lowercase text (the spelling every id is stored in).
    mutating func bind(_ value: UUID) {
        let start = bytes.count
        value.writeLowercased(into: &bytes)
        values.append(.text(start: start, count: bytes.count - start))
    }

    mutating func bind(_ value: Int64?) {
        values.append(value.map(Value.integer) ?? .null)
    }

    mutating func bind(_ value: Int) {
        values.append(.integer(Int64(value)))
    }

    /// A timestamp, as microseconds since the epoch.
    mutating func bind(_ value: Timestamp?) {
        bind(value?.microsecondsSinceEpoch)
    }

    /// Bytes, as a blob.
    mutating func bind(blob value: [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: value)
        values.append(.blob(start: start, count: value.count))
    }

    /// Runs `statement` once with the values bound since the last run, to completion, and
    /// forgets them.
    ///
    /// - Throws: `DatabaseError` with SQLite's result code and message, as GRDB throws it, when
    ///   the values do not match the statement's parameters or the statement fails.
    mutating func execute(_ statement: Statement) throws {
        try run(statement) { _ in }
    }

    /// Runs the query `statement` with the values bound since the last run, calls `body` with
    /// each row it returns, and forgets the values.
    ///
    /// - Throws: what ``execute(_:)`` throws, and what `body` throws (the query stops there).
    mutating func forEachRow(_ statement: Statement, _ body: (SQLiteColumns) throws -> Void) throws {
        try run(statement, eachRow: body)
    }

    private mutating func run(_ statement: Statement, eachRow body: (SQLiteColumns) throws -> Void) throws {
        defer {
            values.removeAll(keepingCapacity: true)
            bytes.removeSubrange(1...)
        }
        let handle = statement.sqliteStatement
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters",
                sql: statement.sql)
        }
        // A statement that ran before, through GRDB or here, starts again.
        sqlite3_reset(handle)
        try bytes.withUnsafeBufferPointer { buffer in
            // The bindings point into `buffer`: cleared, and the statement reset, before it can
            // move or be reused, whether the run ends, fails or `body` throws.
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)
            }
            let base = UnsafeRawPointer(buffer.baseAddress)
            for (offset, value) in values.enumerated() {
                let index = Int32(offset + 1)
                let code: Int32
                switch value {
                case .null:
                    code = sqlite3_bind_null(handle, index)
                case .integer(let integer):
                    code = sqlite3_bind_int64(handle, index, integer)
                case .text(let start, let count):
                    code = sqlite3_bind_text(
                        handle, index, base.map { ($0 + start).assumingMemoryBound(to: CChar.self) }, Int32(count),
                        nil)
                case .blob(let start, let count):
                    code = sqlite3_bind_blob(handle, index, base.map { $0 + start }, Int32(count), nil)
                }
                guard code == SQLITE_OK else { throw Self.error(code, statement) }
            }
            while true {
                switch sqlite3_step(handle) {
                case SQLITE_DONE:
                    return
                case SQLITE_ROW:
                    try body(SQLiteColumns(statement: handle))
                case let code:
                    // Read before the reset in the defer, which may replace the message.
                    throw Self.error(code, statement)
                }
            }
        }
    }

    private static func error(_ code: Int32, _ statement: Statement) -> DatabaseError {
        let message = sqlite3_errmsg(sqlite3_db_handle(statement.sqliteStatement)).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}
