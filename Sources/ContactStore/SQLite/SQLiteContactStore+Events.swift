import ContactDomain
import Foundation
import GRDB
import Logging

/// Reading stored events back in pages, for `replay` and back-fills.
extension SQLiteContactStore {
    /// Reads matching events page by page, each page one short read transaction.
    ///
    /// Pages are keyed by sequence (the last one handed out), so each row is read once: a
    /// contact's events through `events_contact`, a time range by scanning the sequence range
    /// between the first and last matching event (found once through `events_time`). The time
    /// range's page query says `NOT INDEXED` so SQLite walks the rowid from the cursor rather than
    /// re-reading the whole time range through `events_time` for every page.
    public func forEachEventPage(
        _ selection: EventSelection, pageSize: Int, _ body: @escaping EventPageBody
    ) async throws {
        let pager = EventPager(pageSize: pageSize)
        let after: Int64
        let last: Int64
        let condition: String
        let arguments: StatementArguments
        switch selection {
        case .contact(let id):
            after = 0
            last = .max
            condition = "FROM events WHERE contact_id = ? AND sequence > ?"
            arguments = [id.lowercasedString]
        case .time(let since, let until):
            let bounds: StatementArguments = [since.microsecondsSinceEpoch, (until?.microsecondsSinceEpoch ?? .max)]
            let span = try await read { db -> (Int64, Int64)? in
                let row = try Row.fetchOne(
                    db, sql: "SELECT min(sequence), max(sequence) FROM events WHERE time >= ? AND time < ?",
                    arguments: bounds)
                guard let row, let first = try row.decode(Int64?.self, atIndex: 0),
                    let final = try row.decode(Int64?.self, atIndex: 1)
                else { return nil }
                return (first, final)
            }
            guard let (first, final) = span else { return }
            after = first - 1
            last = final
            condition = "FROM events NOT INDEXED WHERE time >= ? AND time < ? AND sequence > ?"
            arguments = bounds
        }
        try await pager.walk(after: after, through: last, body: body) { cursor in
            try await fetchEvents(
                sql: """
                    SELECT sequence, \(StoreColumns.event) \(condition)
                    ORDER BY sequence LIMIT \(pager.limit)
                    """,
                arguments: arguments + [cursor])
        }
    }

    func fetchEvents(
        sql: String, arguments: StatementArguments
    ) async throws -> [(sequence: Int64, event: StoredEvent)] {
        let database = self.database
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            return try rows.map { row in
                try Self.decoding(table: "events", database: database) { try RowMapping.sequencedEvent(row) }
            }
        }
    }
}
