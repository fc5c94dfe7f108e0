import ContactDomain
import Foundation
import GRDBSQLite

/// The current row of a statement that ``SQLiteRowBinder`` steps, read with SQLite's C API in
/// SQLite's representations (see `Row+ColumnReader.swift`): UUIDs as lowercase text, timestamps
/// as integer microseconds since the epoch, bytes as blobs.
///
/// Text and bytes are read from either storage class, as SQLite converts between them; an integer
/// must be stored as one. Anything else, or a NULL where the model has no optional, is a
/// ``RowValueError``, which the store reports as a corrupt row. Valid only while the statement is
/// on that row.
struct SQLiteColumns: ColumnReader {
    let statement: OpaquePointer

    func string(at index: Int) throws -> String {
        guard let text = try optionalString(at: index) else { throw Self.missing(index, "text") }
        return text
    }

    func optionalString(at index: Int) throws -> String? {
        try text(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    func int(at index: Int) throws -> Int {
        let value = try int64(at: index)
        guard let int = Int(exactly: value) else {
            throw RowValueError(detail: "column \(index): \(value) does not fit in an Int")
        }
        return int
    }

    func int64(at index: Int) throws -> Int64 {
        guard let value = try optionalInt64(at: index) else { throw Self.missing(index, "an integer") }
        return value
    }

    func uuid(at index: Int) throws -> UUID {
        switch try text(at: index, { UUID(strictUTF8: $0) }) {
        case .some(.some(let id)): return id
        case .some(.none): throw RowValueError(detail: "column \(index): \"\(try string(at: index))\" is not a UUID")
        case .none: throw Self.missing(index, "a UUID")
        }
    }

    func timestamp(at index: Int) throws -> Timestamp {
        Timestamp(microsecondsSinceEpoch: try int64(at: index))
    }

    func optionalTimestamp(at index: Int) throws -> Timestamp? {
        try optionalInt64(at: index).map { Timestamp(microsecondsSinceEpoch: $0) }
    }

    func bytes(at index: Int) throws -> [UInt8] {
        let column = Int32(index)
        switch sqlite3_column_type(statement, column) {
        case SQLITE_BLOB, SQLITE_TEXT:
            // The pointer first, then the length: the order SQLite's documentation asks for.
            let base = sqlite3_column_blob(statement, column)
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let base else { return [] }
            return Array(UnsafeRawBufferPointer(start: base, count: count))
        case SQLITE_NULL:
            throw Self.missing(index, "a blob")
        case let type:
            throw Self.mismatch(index, "a blob", type)
        }
    }

    private func optionalInt64(at index: Int) throws -> Int64? {
        let column = Int32(index)
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return sqlite3_column_int64(statement, column)
        case SQLITE_NULL: return nil
        case let type: throw Self.mismatch(index, "an integer", type)
        }
    }

    /// `body` applied to the column's text, in place; nil for NULL.
    private func text<T>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T? {
        let column = Int32(index)
        switch sqlite3_column_type(statement, column) {
        case SQLITE_TEXT, SQLITE_BLOB:
            // The pointer first, then the length: the order SQLite's documentation asks for.
            let base = sqlite3_column_text(statement, column)
            let count = Int(sqlite3_column_bytes(statement, column))
            return try body(UnsafeBufferPointer(start: count > 0 ? base : nil, count: count))
        case SQLITE_NULL:
            return nil
        case let type:
            throw Self.mismatch(index, "text", type)
        }
    }

    private static func missing(_ index: Int, _ expected: String) -> RowValueError {
        RowValueError(detail: "column \(index): NULL where \(expected) is required")
    }

    private static func mismatch(_ index: Int, _ expected: String, _ type: Int32) -> RowValueError {
        let names = [SQLITE_INTEGER: "an integer", SQLITE_FLOAT: "a real", SQLITE_TEXT: "text", SQLITE_BLOB: "a blob"]
        return RowValueError(detail: "column \(index): \(names[type] ?? "type \(type)") where \(expected) is required")
    }
}
