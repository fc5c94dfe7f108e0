import ContactDomain
import Foundation

/// Typed access to the columns of one result row by position, implemented by each backend's row
/// type, so each model has one mapping from a row (see ``RowMapping``).
///
/// Each backend stores a value in its own representation (a UUID as text in SQLite and as `uuid`
/// in PostgreSQL, a timestamp as integer microseconds or `timestamptz`); the reader hides that.
/// A value that cannot be read throws, and the store reports it as a corrupt row.
protocol ColumnReader {
    func string(at index: Int) throws -> String
    func optionalString(at index: Int) throws -> String?
    func int(at index: Int) throws -> Int
    func int64(at index: Int) throws -> Int64
    func uuid(at index: Int) throws -> UUID
    func timestamp(at index: Int) throws -> Timestamp
    func optionalTimestamp(at index: Int) throws -> Timestamp?
    func bytes(at index: Int) throws -> [UInt8]
}

extension ColumnReader {
    /// The column's text as a `Value`; an unknown raw value is a ``RowValueError``.
    func enumValue<Value: RawRepresentable<String>>(at index: Int) throws -> Value {
        try Self.enumValue(try string(at: index), index)
    }

    /// ``enumValue(at:)`` for a nullable column.
    func optionalEnumValue<Value: RawRepresentable<String>>(at index: Int) throws -> Value? {
        try optionalString(at: index).map { try Self.enumValue($0, index) }
    }

    private static func enumValue<Value: RawRepresentable<String>>(_ text: String, _ index: Int) throws -> Value {
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "column \(index): unknown \(Value.self) \"\(text)\"")
        }
        return value
    }
}
