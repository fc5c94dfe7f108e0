import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// The read side: contacts, their timelines, idempotency records and event pages.
extension PostgresContactStore {
    /// The contact with `id` if it belongs to `businessID`, else `nil` (another business's contact reads as missing).
    public func contact(id: UUID, businessID: String) async throws -> Contact? {
        let rows = try await collect(
            "SELECT \(unescaped: StoreColumns.contact) FROM contacts WHERE id = \(id) AND business_id = \(businessID)")
        return try rows.first.map { row in try mapped(row, table: "contacts", RowMapping.contact) }
    }

    /// Loads many contacts at once, unscoped, for the worker to decide a batch; missing ids are absent.
    public func contacts(ids: [UUID]) async throws -> [UUID: Contact] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await collect(
            "SELECT \(unescaped: StoreColumns.contact) FROM contacts WHERE id = ANY(\(ids))")
        var result: [UUID: Contact] = [:]
        result.reserveCapacity(rows.count)
        for row in rows {
            let contact = try mapped(row, table: "contacts", RowMapping.contact)
            result[contact.id] = contact
        }
        return result
    }

    /// One page of a contact's `timeline`, newest first (the identity column `recorded` breaks
    /// timestamp ties), with the total count.
    public func page<Item>(
        of timeline: Timeline<Item>, contactID: UUID, skip: Int, limit: Int
    ) async throws -> Page<Item> {
        let window = PageWindow(skip: skip, limit: limit)
        let table = timeline.table
        let (total, rows) = try await page(
            count: "SELECT count(*) FROM \(unescaped: table) WHERE contact_id = \(contactID)",
            items: """
                SELECT \(unescaped: timeline.columns) FROM \(unescaped: table) WHERE contact_id = \(contactID)
                ORDER BY "timestamp" DESC, recorded DESC LIMIT \(window.limit) OFFSET \(window.skip)
                """)
        let items = try rows.map { row in try mapped(row, table: table, timeline.item) }
        return window.page(items, total: total)
    }

    /// The idempotency records of those `ids` that were processed before, keyed by command id.
    public func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await collect(
            "SELECT \(unescaped: StoreColumns.processedCommand) FROM processed_commands WHERE command_id = ANY(\(ids))")
        var result: [String: ProcessedCommand] = [:]
        for row in rows {
            let command = try mapped(row, table: "processed_commands", RowMapping.processedCommand)
            result[command.commandID] = command
        }
        return result
    }

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
