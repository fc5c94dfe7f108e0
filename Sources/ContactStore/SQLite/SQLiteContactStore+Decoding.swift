import ContactDomain
import Foundation
import GRDB
import Logging

/// Row decoding: column lists and the conversions from GRDB rows to models.
extension SQLiteContactStore {
    static let contactColumns = """
        id, business_id, first_name, last_name, company_name, display_name, email, phone, relationship_status,
        lifecycle_stage, last_contacted, created_at, updated_at, version
        """

    static func decodeContact(_ row: Row, database: String) throws -> Contact {
        try decoding(table: "contacts", database: database) {
            Contact(
                id: try uuid(row, 0),
                businessID: try row.decode(atIndex: 1),
                firstName: try row.decode(atIndex: 2),
                lastName: try row.decode(atIndex: 3),
                companyName: try row.decode(atIndex: 4),
                displayName: try row.decode(atIndex: 5),
                email: try row.decode(atIndex: 6),
                phone: try row.decode(atIndex: 7),
                relationshipStatus: try enumValue(row, 8),
                lifecycleStage: try enumValue(row, 9),
                lastContacted: try timestamp(row, 10),
                createdAt: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 11)),
                updatedAt: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 12)),
                version: try row.decode(atIndex: 13))
        }
    }

    /// Runs `body`, turning decoding failures into ``StoreError/corruptRow(database:table:detail:)``.
    static func decoding<T>(table: String, database: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as RowValueError {
            throw StoreError.corruptRow(database: database, table: table, detail: error.detail)
        } catch {
            throw StoreError.corruptRow(database: database, table: table, detail: "\(error)")
        }
    }

    static func uuid(_ row: Row, _ index: Int) throws -> UUID {
        let text: String = try row.decode(atIndex: index)
        guard let value = UUID(strictString: text) else {
            throw RowValueError(detail: "column \(index): \"\(text)\" is not a UUID")
        }
        return value
    }

    static func timestamp(_ row: Row, _ index: Int) throws -> Timestamp? {
        try row.decode(Int64?.self, atIndex: index).map { Timestamp(microsecondsSinceEpoch: $0) }
    }

    static func enumValue<Value: RawRepresentable<String>>(_ row: Row, _ index: Int) throws -> Value {
        let text: String = try row.decode(atIndex: index)
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "column \(index): unknown \(Value.self) \"\(text)\"")
        }
        return value
    }

    static func optionalEnumValue<Value: RawRepresentable<String>>(_ row: Row, _ index: Int) throws -> Value? {
        guard let text = try row.decode(String?.self, atIndex: index) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "column \(index): unknown \(Value.self) \"\(text)\"")
        }
        return value
    }
}
