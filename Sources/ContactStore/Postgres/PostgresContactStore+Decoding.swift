import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// Row decoding: the conversions from PostgreSQL rows to models.
extension PostgresContactStore {
    func decodeContact(_ row: PostgresRow) throws -> Contact {
        try decoding(table: "contacts") {
            let (
                id, business, first, last, company, display, email, phone, status, stage, lastContacted, created,
                updated, version
            ) = try row.decode(
                (
                    UUID, String, String?, String?, String?, String, String?, String?, String, String,
                    PostgresTimestamp?, PostgresTimestamp, PostgresTimestamp, Int32
                ).self)
            return Contact(
                id: id, businessID: business, firstName: first, lastName: last, companyName: company,
                displayName: display, email: email, phone: phone, relationshipStatus: try Self.enumValue(status),
                lifecycleStage: try Self.enumValue(stage), lastContacted: lastContacted?.timestamp,
                createdAt: created.timestamp, updatedAt: updated.timestamp, version: Int(version))
        }
    }

    func decoding<T>(table: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RowValueError {
            throw StoreError.corruptRow(database: database, table: table, detail: error.detail)
        } catch let error as PostgresDecodingError {
            throw StoreError.corruptRow(
                database: database, table: table, detail: "column \(error.columnName): \(error.code)")
        }
    }

    static func enumValue<Value: RawRepresentable<String>>(_ text: String) throws -> Value {
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "unknown \(Value.self) \"\(text)\"")
        }
        return value
    }
}
