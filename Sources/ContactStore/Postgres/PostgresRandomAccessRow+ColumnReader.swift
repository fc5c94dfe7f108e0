import ContactDomain
import Foundation
import PostgresNIO

/// PostgreSQL's representations: `uuid`, `timestamptz` (see ``PostgresTimestamp``), `bytea`.
///
/// The random-access row, not `PostgresRow`: it indexes the cells once per row, where `PostgresRow`
/// would walk its cells again for every column read.
extension PostgresRandomAccessRow: ColumnReader {
    func string(at index: Int) throws -> String { try value(String.self, index) }

    func optionalString(at index: Int) throws -> String? { try value(String?.self, index) }

    func int(at index: Int) throws -> Int { try value(Int.self, index) }

    func int64(at index: Int) throws -> Int64 { try value(Int64.self, index) }

    func uuid(at index: Int) throws -> UUID { try value(UUID.self, index) }

    func timestamp(at index: Int) throws -> Timestamp { try value(PostgresTimestamp.self, index).timestamp }

    func optionalTimestamp(at index: Int) throws -> Timestamp? {
        try value(PostgresTimestamp?.self, index)?.timestamp
    }

    func bytes(at index: Int) throws -> [UInt8] { Array(try value(ByteBuffer.self, index).readableBytesView) }

    private func value<Value: PostgresDecodable>(_ type: Value.Type, _ index: Int) throws -> Value {
        guard index < count else {
            throw RowValueError(detail: "column \(index): missing, the row has \(count) columns")
        }
        return try self[index].decode(Value.self)
    }
}
