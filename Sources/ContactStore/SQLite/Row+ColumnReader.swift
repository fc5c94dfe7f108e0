import ContactDomain
import Foundation
import GRDB

/// SQLite's representations: UUIDs as lowercase text, timestamps as integer microseconds since the
/// epoch, bytes as blobs.
extension Row: ColumnReader {
    func string(at index: Int) throws -> String { try decode(String.self, atIndex: index) }

    func optionalString(at index: Int) throws -> String? { try decode(String?.self, atIndex: index) }

    func int(at index: Int) throws -> Int { try decode(Int.self, atIndex: index) }

    func int64(at index: Int) throws -> Int64 { try decode(Int64.self, atIndex: index) }

    func uuid(at index: Int) throws -> UUID {
        let text = try string(at: index)
        guard let value = UUID(strictString: text) else {
            throw RowValueError(detail: "column \(index): \"\(text)\" is not a UUID")
        }
        return value
    }

    func timestamp(at index: Int) throws -> Timestamp {
        Timestamp(microsecondsSinceEpoch: try int64(at: index))
    }

    func optionalTimestamp(at index: Int) throws -> Timestamp? {
        try decode(Int64?.self, atIndex: index).map { Timestamp(microsecondsSinceEpoch: $0) }
    }

    func bytes(at index: Int) throws -> [UInt8] { Array(try decode(Data.self, atIndex: index)) }
}
