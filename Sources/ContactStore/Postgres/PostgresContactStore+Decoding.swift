import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// Row decoding failures as ``StoreError``; the mappings themselves are shared (see ``RowMapping``).
extension PostgresContactStore {
    /// `row` mapped by `map` (one of ``RowMapping``'s), a failure reported as a corrupt row of `table`.
    func mapped<Item>(_ row: PostgresRow, table: String, _ map: (PostgresRandomAccessRow) throws -> Item) throws -> Item
    {
        try decoding(table: table) { try map(PostgresRandomAccessRow(row)) }
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
}
