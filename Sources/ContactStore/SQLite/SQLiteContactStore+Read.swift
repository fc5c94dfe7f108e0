import ContactDomain
import Foundation
import GRDB
import Logging

/// The read side: contacts, their timelines, idempotency records and event pages.
extension SQLiteContactStore {
    /// The contact with `id` if it belongs to `businessID`, else `nil` (another business's contact reads as missing).
    public func contact(id: UUID, businessID: String) async throws -> Contact? {
        let database = self.database
        return try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.contactColumns) FROM contacts WHERE id = ? AND business_id = ?",
                arguments: [id.lowercasedString, businessID]
            ).map { try Self.decodeContact($0, database: database) }
        }
    }

    /// Loads many contacts at once, unscoped, for the worker to decide a batch; missing ids are absent.
    public func contacts(ids: [UUID]) async throws -> [UUID: Contact] {
        guard !ids.isEmpty else { return [:] }
        let database = self.database
        return try await read { db in
            var result: [UUID: Contact] = [:]
            result.reserveCapacity(ids.count)
            // Chunks stay well below SQLite's bound-parameter limit.
            for chunk in ids.chunked(into: 500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT \(Self.contactColumns) FROM contacts WHERE id IN (\(marks))",
                    arguments: StatementArguments(chunk.map(\.lowercasedString)))
                while let row = try rows.next() {
                    let contact = try Self.decodeContact(row, database: database)
                    result[contact.id] = contact
                }
            }
            return result
        }
    }

    /// One page of a contact's interactions, newest first (timestamp descending, then last recorded
    /// first), with the total count. The rowid is recording order: rows are only ever appended.
    public func interactions(contactID: UUID, skip: Int, limit: Int) async throws -> Page<Interaction> {
        let database = self.database
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        return try await read { db in
            let id = contactID.lowercasedString
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM interactions WHERE contact_id = ?", arguments: [id])
                ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, contact_id, type, description, timestamp, outcome, next_action, scheduled_follow_up,
                        performed_by, performed_by_id
                    FROM interactions WHERE contact_id = ?
                    ORDER BY timestamp DESC, rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: [id, limit, skip])
            let items = try rows.map { row in
                try Self.decoding(table: "interactions", database: database) {
                    Interaction(
                        id: try Self.uuid(row, 0),
                        contactID: try Self.uuid(row, 1),
                        type: try Self.enumValue(row, 2),
                        description: try row.decode(atIndex: 3),
                        timestamp: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 4)),
                        outcome: try row.decode(atIndex: 5),
                        nextAction: try row.decode(atIndex: 6),
                        scheduledFollowUp: try Self.timestamp(row, 7),
                        performedBy: try row.decode(atIndex: 8),
                        performedByID: try row.decode(atIndex: 9))
                }
            }
            return Page(items: items, total: total, skip: skip, limit: limit)
        }
    }

    /// One page of a contact's status history, newest first (timestamp descending, then last
    /// recorded first), with the total count. The rowid is recording order: rows are only ever appended.
    public func statusHistory(contactID: UUID, skip: Int, limit: Int) async throws -> Page<StatusHistoryEntry> {
        let database = self.database
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        return try await read { db in
            let id = contactID.lowercasedString
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM status_history WHERE contact_id = ?", arguments: [id])
                ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, contact_id, from_status, to_status, from_lifecycle_stage, to_lifecycle_stage,
                        timestamp, changed_by, changed_by_id, reason, notes
                    FROM status_history WHERE contact_id = ?
                    ORDER BY timestamp DESC, rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: [id, limit, skip])
            let items = try rows.map { row in
                try Self.decoding(table: "status_history", database: database) {
                    StatusHistoryEntry(
                        id: try Self.uuid(row, 0),
                        contactID: try Self.uuid(row, 1),
                        fromStatus: try Self.optionalEnumValue(row, 2),
                        toStatus: try Self.enumValue(row, 3),
                        fromLifecycleStage: try Self.optionalEnumValue(row, 4),
                        toLifecycleStage: try Self.enumValue(row, 5),
                        timestamp: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 6)),
                        changedBy: try row.decode(atIndex: 7),
                        changedByID: try row.decode(atIndex: 8),
                        reason: try row.decode(atIndex: 9),
                        notes: try row.decode(atIndex: 10))
                }
            }
            return Page(items: items, total: total, skip: skip, limit: limit)
        }
    }

    /// The idempotency records of those `ids` that were processed before, keyed by command id.
    public func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand] {
        guard !ids.isEmpty else { return [:] }
        let database = self.database
        return try await read { db in
            var result: [String: ProcessedCommand] = [:]
            for chunk in ids.chunked(into: 500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT command_id, fingerprint, business_id, contact_id, command_type, result_status,
                            result_body, processed_at
                        FROM processed_commands WHERE command_id IN (\(marks))
                        """,
                    arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let command = try Self.decoding(table: "processed_commands", database: database) {
                        ProcessedCommand(
                            commandID: try row.decode(atIndex: 0),
                            fingerprint: try row.decode(atIndex: 1),
                            businessID: try row.decode(atIndex: 2),
                            contactID: try row.decode(atIndex: 3),
                            commandType: try row.decode(atIndex: 4),
                            resultStatus: try row.decode(atIndex: 5),
                            resultBody: Array(try row.decode(Data.self, atIndex: 6)),
                            processedAt: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 7)))
                    }
                    result[command.commandID] = command
                }
            }
            return result
        }
    }

    /// Reads matching events page by page, each page one short read transaction.
    ///
    /// Pages are keyed by sequence (the last one handed out), so each row is read once: a
    /// contact's events through `events_contact`, a time range by scanning the sequence range
    /// between the first and last matching event (found once through `events_time`). The time
    /// range's page query says `NOT INDEXED` so SQLite walks the rowid from the cursor rather than
    /// re-reading the whole time range through `events_time` for every page.
    public func forEachEventPage(
        _ selection: EventSelection,
        pageSize: Int,
        _ body: @escaping @Sendable ([StoredEvent]) async throws -> Void
    ) async throws {
        let limit = max(1, pageSize)
        var after: Int64
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
        while after < last {
            let cursor = after
            let page = try await fetchEvents(
                sql: """
                    SELECT sequence, id, contact_id, business_id, command_id, type, time, body \(condition)
                    ORDER BY sequence LIMIT \(limit)
                    """,
                arguments: arguments + [cursor])
            guard let next = page.last?.sequence else { return }
            try await body(page.map(\.event))
            guard page.count == limit else { return }
            after = next
        }
    }

    func fetchEvents(
        sql: String, arguments: StatementArguments
    ) async throws -> [(sequence: Int64, event: StoredEvent)] {
        let database = self.database
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            return try rows.map { row in
                try Self.decoding(table: "events", database: database) {
                    let event = StoredEvent(
                        id: try Self.uuid(row, 1),
                        contactID: try Self.uuid(row, 2),
                        businessID: try row.decode(atIndex: 3),
                        commandID: try row.decode(atIndex: 4),
                        type: try row.decode(atIndex: 5),
                        time: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 6)),
                        body: Array(try row.decode(Data.self, atIndex: 7)))
                    return (try row.decode(Int64.self, atIndex: 0), event)
                }
            }
        }
    }
}
