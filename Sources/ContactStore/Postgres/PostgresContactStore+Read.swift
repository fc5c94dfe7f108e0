import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// The read side: contacts, their timelines, idempotency records and event pages.
extension PostgresContactStore {
    static let contactColumns = """
        id, business_id, first_name, last_name, company_name, display_name, email, phone, relationship_status,
        lifecycle_stage, last_contacted, created_at, updated_at, version
        """

    /// The contact with `id` if it belongs to `businessID`, else `nil` (another business's contact reads as missing).
    public func contact(id: UUID, businessID: String) async throws -> Contact? {
        let rows = try await collect(
            "SELECT \(unescaped: Self.contactColumns) FROM contacts WHERE id = \(id) AND business_id = \(businessID)")
        return try rows.first.map { try decodeContact($0) }
    }

    /// Loads many contacts at once, unscoped, for the worker to decide a batch; missing ids are absent.
    public func contacts(ids: [UUID]) async throws -> [UUID: Contact] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await collect(
            "SELECT \(unescaped: Self.contactColumns) FROM contacts WHERE id = ANY(\(ids))")
        var result: [UUID: Contact] = [:]
        result.reserveCapacity(rows.count)
        for row in rows {
            let contact = try decodeContact(row)
            result[contact.id] = contact
        }
        return result
    }

    /// One page of a contact's interactions, newest first (timestamp descending, then last recorded
    /// first), with the total count.
    public func interactions(contactID: UUID, skip: Int, limit: Int) async throws -> Page<Interaction> {
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        let (total, rows) = try await page(
            count: "SELECT count(*) FROM interactions WHERE contact_id = \(contactID)",
            items: """
                SELECT id, contact_id, type, description, "timestamp", outcome, next_action, scheduled_follow_up,
                    performed_by, performed_by_id
                FROM interactions WHERE contact_id = \(contactID)
                ORDER BY "timestamp" DESC, recorded DESC LIMIT \(limit) OFFSET \(skip)
                """)
        let items = try rows.map { row in
            try decoding(table: "interactions") {
                let (id, contact, type, description, timestamp, outcome, nextAction, followUp, by, byID) =
                    try row.decode(
                        (
                            UUID, UUID, String, String, PostgresTimestamp, String?, String?, PostgresTimestamp?, String,
                            String
                        ).self)
                return Interaction(
                    id: id, contactID: contact, type: try Self.enumValue(type), description: description,
                    timestamp: timestamp.timestamp, outcome: outcome, nextAction: nextAction,
                    scheduledFollowUp: followUp?.timestamp, performedBy: by, performedByID: byID)
            }
        }
        return Page(items: items, total: total, skip: skip, limit: limit)
    }

    /// One page of a contact's status history, newest first (timestamp descending, then last
    /// recorded first), with the total count.
    public func statusHistory(contactID: UUID, skip: Int, limit: Int) async throws -> Page<StatusHistoryEntry> {
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        let (total, rows) = try await page(
            count: "SELECT count(*) FROM status_history WHERE contact_id = \(contactID)",
            items: """
                SELECT id, contact_id, from_status, to_status, from_lifecycle_stage, to_lifecycle_stage,
                    "timestamp", changed_by, changed_by_id, reason, notes
                FROM status_history WHERE contact_id = \(contactID)
                ORDER BY "timestamp" DESC, recorded DESC LIMIT \(limit) OFFSET \(skip)
                """)
        let items = try rows.map { row in
            try decoding(table: "status_history") {
                let (id, contact, fromStatus, toStatus, fromStage, toStage, timestamp, by, byID, reason, notes) =
                    try row.decode(
                        (
                            UUID, UUID, String?, String, String?, String, PostgresTimestamp, String, String, String?,
                            String?
                        ).self)
                return StatusHistoryEntry(
                    id: id, contactID: contact, fromStatus: try fromStatus.map(Self.enumValue),
                    toStatus: try Self.enumValue(toStatus), fromLifecycleStage: try fromStage.map(Self.enumValue),
                    toLifecycleStage: try Self.enumValue(toStage), timestamp: timestamp.timestamp, changedBy: by,
                    changedByID: byID, reason: reason, notes: notes)
            }
        }
        return Page(items: items, total: total, skip: skip, limit: limit)
    }

    /// The idempotency records of those `ids` that were processed before, keyed by command id.
    public func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await collect(
            """
            SELECT command_id, fingerprint, business_id, contact_id, command_type, result_status, result_body,
                processed_at
            FROM processed_commands WHERE command_id = ANY(\(ids))
            """)
        var result: [String: ProcessedCommand] = [:]
        for row in rows {
            let command = try decoding(table: "processed_commands") {
                let (id, fingerprint, business, contact, type, status, body, processedAt) = try row.decode(
                    (String, String, String?, String?, String?, Int32, ByteBuffer, PostgresTimestamp).self)
                return ProcessedCommand(
                    commandID: id, fingerprint: fingerprint, businessID: business, contactID: contact,
                    commandType: type, resultStatus: Int(status), resultBody: Array(body.readableBytesView),
                    processedAt: processedAt.timestamp)
            }
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
        _ selection: EventSelection,
        pageSize: Int,
        _ body: @escaping @Sendable ([StoredEvent]) async throws -> Void
    ) async throws {
        let limit = max(1, pageSize)
        let columns = "sequence, id, contact_id, business_id, command_id, type, time, body"
        switch selection {
        case .contact(let id):
            var cursor: Int64 = 0
            while true {
                let rows = try await collect(
                    """
                    SELECT \(unescaped: columns) FROM events
                    WHERE contact_id = \(id) AND sequence > \(cursor) ORDER BY sequence LIMIT \(limit)
                    """)
                let page = try rows.map(decodeEvent)
                guard let last = page.last else { return }
                try await body(page.map(\.event))
                guard page.count == limit else { return }
                cursor = last.sequence
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
        try decoding(table: "events") {
            let (sequence, id, contact, business, command, type, time, body) = try row.decode(
                (Int64, UUID, UUID, String, String, String, PostgresTimestamp, ByteBuffer).self)
            return (
                sequence,
                StoredEvent(
                    id: id, contactID: contact, businessID: business, commandID: command, type: type,
                    time: time.timestamp, body: Array(body.readableBytesView))
            )
        }
    }
}
