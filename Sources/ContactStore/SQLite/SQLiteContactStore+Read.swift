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
            var row = SQLiteRowBinder()
            for chunk in ids.chunked(into: Self.lookupChunk) {
                let slots = Self.lookupSlots(for: chunk.count)
                let statement = try db.cachedStatement(
                    sql: "SELECT \(StoreColumns.contact) FROM contacts WHERE id IN (\(Self.placeholders(slots)))")
                for id in chunk { row.bind(id) }
                for _ in chunk.count..<slots { row.bind(nil as String?) }
                try row.forEachRow(statement) { columns in
                    let contact = try Self.decoding(table: "contacts", database: database) {
                        try RowMapping.contact(columns)
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
            var row = SQLiteRowBinder()
            for chunk in ids.chunked(into: Self.lookupChunk) {
                let slots = Self.lookupSlots(for: chunk.count)
                let statement = try db.cachedStatement(
                    sql: """
                        SELECT \(StoreColumns.processedCommand) FROM processed_commands
                        WHERE command_id IN (\(Self.placeholders(slots)))
                        """)
                for id in chunk { row.bind(id) }
                for _ in chunk.count..<slots { row.bind(nil as String?) }
                try row.forEachRow(statement) { columns in
                    let command = try Self.decoding(table: "processed_commands", database: database) {
                        try RowMapping.processedCommand(columns)
                    }
                    result[command.commandID] = command
                }
            }
            return result
        }
    }

    /// The most ids one lookup statement takes; far below SQLite's limit on parameters.
    static let lookupChunk = 512

    /// The parameters of the lookup statement for `count` ids: `count` rounded up to a power of
    /// two, 16 at least, so that each lookup prepares and caches at most six statements. The
    /// padding is bound to NULL, which `IN` never matches.
    static func lookupSlots(for count: Int) -> Int {
        var slots = 16
        while slots < count { slots *= 2 }
        return slots
    }

    /// `count` comma-separated `?` placeholders.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }
}
