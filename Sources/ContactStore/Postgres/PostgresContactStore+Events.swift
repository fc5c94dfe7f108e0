import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// Reading stored events back in pages, for `replay` and back-fills.
extension PostgresContactStore {
    /// Reads matching events in keyset pages by sequence, each page one short query, so a long
    /// back-fill holds no statement, snapshot or connection while the pages are published (a
    /// server's `statement_timeout` cannot cut it off halfway). A contact's events come through
    /// `events_contact`. A time range is walked through the primary key in windows of sequences
    /// between its first and last event (found once through `events_time`), so every page reads
    /// a bounded slice, never the whole range again.
    public func forEachEventPage(
        _ selection: EventSelection, pageSize: Int, _ body: @escaping EventPageBody
    ) async throws {
        let pager = EventPager(pageSize: pageSize)
        let limit = pager.limit
        let columns = "sequence, " + StoreColumns.event
        switch selection {
        case .contact(let id):
            try await pager.walk(after: 0, body: body) { cursor in
                try await collect(
                    """
                    SELECT \(unescaped: columns) FROM events
                    WHERE contact_id = \(id) AND sequence > \(cursor) ORDER BY sequence LIMIT \(limit)
                    """
                ).map(decodeEvent)
            }
        case .time(let since, let until):
            // No upper bound: a timestamp far in the future would be outside PostgreSQL's range.
            func inRange(_ prefix: String, _ suffix: String) -> PostgresQuery {
                if let until {
                    return
                        "\(unescaped: prefix) time >= \(PostgresTimestamp(since)) AND time < \(PostgresTimestamp(until)) \(unescaped: suffix)"
                }
                return "\(unescaped: prefix) time >= \(PostgresTimestamp(since)) \(unescaped: suffix)"
            }
            let spanRows = try await collect(inRange("SELECT min(sequence), max(sequence) FROM events WHERE", ""))
            guard let span = spanRows.first else { return }
            let (lowest, highest) = try decoding(table: "events") { try span.decode((Int64?, Int64?).self) }
            guard let first = lowest, let last = highest else { return }
            // A few pages' worth of sequences per query: bounded work, few round trips.
            let window = Int64(limit) * 4
            var cursor = first - 1
            var page: [StoredEvent] = []
            while cursor < last {
                let windowEnd = min(cursor + window, last)
                let rows = try await collect(
                    inRange(
                        "SELECT \(columns) FROM events WHERE sequence > \(cursor) AND sequence <= \(windowEnd) AND",
                        "ORDER BY sequence LIMIT \(limit - page.count)"))
                let read = try rows.map(decodeEvent)
                page += read.map(\.event)
                // A full page may have stopped inside the window: continue after its last row.
                cursor = page.count == limit ? (read.last?.sequence ?? windowEnd) : windowEnd
                if page.count == limit {
                    try await body(page)
                    page.removeAll(keepingCapacity: true)
                }
            }
            if !page.isEmpty { try await body(page) }
        }
    }

    func decodeEvent(_ row: PostgresRow) throws -> (sequence: Int64, event: StoredEvent) {
        try mapped(row, table: "events", RowMapping.sequencedEvent)
    }
}
