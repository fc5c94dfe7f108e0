import GRDB

/// Row decoding failures as ``StoreError``; the mappings themselves are shared (see ``RowMapping``).
extension SQLiteContactStore {
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
}
