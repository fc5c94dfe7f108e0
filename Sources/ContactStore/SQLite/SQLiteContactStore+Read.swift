import ContactDomain
import Foundation
import GRDB
import Logging

/// The read side: contacts, their timelines and idempotency records.
extension SQLiteContactStore {
    /// The contact with `id` if it belongs to `businessID`, else `nil` (another business's contact reads as missing).
    public func contact(id: UUID, businessID: String) async throws -> Contact? {
        let database = self.database
        return try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(StoreColumns.contact) FROM contacts WHERE id = ? AND business_id = ?",
                arguments: [id.lowercasedString, businessID]
            ).map { row in try Self.decoding(table: "contacts", database: database) { try RowMapping.contact(row) } }
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
                    db, sql: "SELECT \(StoreColumns.contact) FROM contacts WHERE id IN (\(marks))",
                    arguments: StatementArguments(chunk.map(\.lowercasedString)))
                while let row = try rows.next() {
                    let contact = try Self.decoding(table: "contacts", database: database) {
                        try RowMapping.contact(row)
                    }
                    result[contact.id] = contact
                }
            }
            return result
        }
    }

    /// One page of a contact's `timeline`, newest first, with the total count. The rowid is
    /// recording order: timeline rows are only ever appended.
    public func page<Item>(
        of timeline: Timeline<Item>, contactID: UUID, skip: Int, limit: Int
    ) async throws -> Page<Item> {
        let database = self.database
        let window = PageWindow(skip: skip, limit: limit)
        let (table, columns) = (timeline.table, timeline.columns)
        return try await read { db in
            let id = contactID.lowercasedString
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE contact_id = ?", arguments: [id]) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(columns) FROM \(table) WHERE contact_id = ?
                    ORDER BY timestamp DESC, rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: [id, window.limit, window.skip])
            let items = try rows.map { row in
                try Self.decoding(table: table, database: database) { try timeline.item(row) }
            }
            return window.page(items, total: total)
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
                    sql:
                        "SELECT \(StoreColumns.processedCommand) FROM processed_commands WHERE command_id IN (\(marks))",
                    arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let command = try Self.decoding(table: "processed_commands", database: database) {
                        try RowMapping.processedCommand(row)
                    }
                    result[command.commandID] = command
                }
            }
            return result
        }
    }
}
