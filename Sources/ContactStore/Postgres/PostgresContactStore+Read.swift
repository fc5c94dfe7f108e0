import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// The read side: contacts, their timelines and idempotency records.
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
        // One pass into the array's wire form, as the batch statements bind their columns.
        let idArray = PostgresArrayColumn<UUID>(ids)
        let rows = try await collect(
            "SELECT \(unescaped: StoreColumns.contact) FROM contacts WHERE id = ANY(\(idArray))")
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
        let idArray = PostgresArrayColumn<String>(ids)
        let rows = try await collect(
            "SELECT \(unescaped: StoreColumns.processedCommand) FROM processed_commands WHERE command_id = ANY(\(idArray))"
        )
        var result: [String: ProcessedCommand] = [:]
        for row in rows {
            let command = try mapped(row, table: "processed_commands", RowMapping.processedCommand)
            result[command.commandID] = command
        }
        return result
    }
}
