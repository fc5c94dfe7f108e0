import ContactDomain
import Foundation
import GRDB
import Logging

/// The batch write: every table of a ``StoreBatch`` in one transaction.
extension SQLiteContactStore {
    /// Writes the whole batch in one transaction: contacts, history, idempotency records, events, outbox and offsets commit together or not at all.
    @discardableResult
    public func apply(_ batch: StoreBatch) async throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        let database = self.database
        return try await write { db in
            var row = SQLiteRowBinder()
            try Self.upsertContacts(batch.uniqueContacts, db, &row)
            try Self.insertInteractions(batch.interactions, db, &row)
            try Self.insertStatusHistory(batch.statusHistory, db, &row)
            try Self.insertProcessedCommands(batch.processedCommands, db, &row)
            try Self.insertEvents(batch.events, db, &row)
            let sequences = try Self.insertOutbox(batch.outbox, db)
            try Self.deleteOutbox(batch.published, db, database: database)
            try Self.upsertOffsets(batch.offsets, db, database: database)
            return sequences
        }
    }

    static func upsertContacts(_ contacts: [Contact], _ db: Database, _ row: inout SQLiteRowBinder) throws {
        guard !contacts.isEmpty else { return }
        // Most commands change a contact's non-indexed columns only (AddInteraction: last_contacted
        // and updated_at). An UPSERT rewrites every index of the columns it sets, even with equal
        // values; this UPDATE leaves the indexed columns out and matches only when they are
        // unchanged, so a new contact, or one whose status or business changed, still goes
        // through the full upsert. It leaves lifecycle_stage out the same way: SQLite evaluates a
        // CHECK only when the UPDATE sets a column it names, and the `IN (…)` list of that CHECK
        // builds a temporary b-tree on every execution.
        // Both statements number their parameters in the order of `StoreColumns.contact`, so one
        // binding of a contact serves either.
        let update = try db.cachedStatement(
            sql: """
                UPDATE contacts SET first_name = ?3, last_name = ?4, company_name = ?5, display_name = ?6,
                    email = ?7, phone = ?8, last_contacted = ?11, created_at = ?12, updated_at = ?13, version = ?14
                WHERE id = ?1 AND business_id = ?2 AND relationship_status = ?9 AND lifecycle_stage = ?10
                """)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO contacts (\(StoreColumns.contact))
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                ON CONFLICT (id) DO UPDATE SET \(StoreColumns.contactUpdate)
                """)
        for contact in contacts {
            bind(contact, into: &row)
            try row.execute(update)
            guard db.changesCount == 0 else { continue }
            bind(contact, into: &row)
            try row.execute(upsert)
        }
    }

    /// Binds `contact`'s columns in the order of ``StoreColumns/contact``.
    private static func bind(_ contact: Contact, into row: inout SQLiteRowBinder) {
        row.bind(contact.id)
        row.bind(contact.businessID)
        row.bind(contact.firstName)
        row.bind(contact.lastName)
        row.bind(contact.companyName)
        row.bind(contact.displayName)
        row.bind(contact.email)
        row.bind(contact.phone)
        row.bind(contact.relationshipStatus.rawValue)
        row.bind(contact.lifecycleStage.rawValue)
        row.bind(contact.lastContacted)
        row.bind(contact.createdAt)
        row.bind(contact.updatedAt)
        row.bind(contact.version)
    }

    static func insertInteractions(
        _ interactions: [Interaction], _ db: Database, _ row: inout SQLiteRowBinder
    ) throws {
        guard !interactions.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO interactions (\(StoreColumns.interaction))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for interaction in interactions {
            row.bind(interaction.id)
            row.bind(interaction.contactID)
            row.bind(interaction.type.rawValue)
            row.bind(interaction.description)
            row.bind(interaction.timestamp)
            row.bind(interaction.outcome)
            row.bind(interaction.nextAction)
            row.bind(interaction.scheduledFollowUp)
            row.bind(interaction.performedBy)
            row.bind(interaction.performedByID)
            try row.execute(statement)
        }
    }

    static func insertStatusHistory(
        _ entries: [StatusHistoryEntry], _ db: Database, _ row: inout SQLiteRowBinder
    ) throws {
        guard !entries.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO status_history (\(StoreColumns.statusHistory))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for entry in entries {
            row.bind(entry.id)
            row.bind(entry.contactID)
            row.bind(entry.fromStatus?.rawValue)
            row.bind(entry.toStatus.rawValue)
            row.bind(entry.fromLifecycleStage?.rawValue)
            row.bind(entry.toLifecycleStage.rawValue)
            row.bind(entry.timestamp)
            row.bind(entry.changedBy)
            row.bind(entry.changedByID)
            row.bind(entry.reason)
            row.bind(entry.notes)
            try row.execute(statement)
        }
    }

    static func insertProcessedCommands(
        _ commands: [ProcessedCommand], _ db: Database, _ row: inout SQLiteRowBinder
    ) throws {
        guard !commands.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO processed_commands (\(StoreColumns.processedCommand))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for command in commands {
            row.bind(command.commandID)
            row.bind(command.fingerprint)
            row.bind(command.businessID)
            row.bind(command.contactID)
            row.bind(command.commandType)
            row.bind(command.resultStatus)
            row.bind(blob: command.resultBody)
            row.bind(command.processedAt)
            try row.execute(statement)
        }
    }

    static func insertEvents(_ events: [StoredEvent], _ db: Database, _ row: inout SQLiteRowBinder) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (\(StoreColumns.event))
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        for event in events {
            row.bind(event.id)
            row.bind(event.contactID)
            row.bind(event.businessID)
            row.bind(event.commandID)
            row.bind(event.type)
            row.bind(event.time)
            row.bind(blob: event.body)
            try row.execute(statement)
        }
    }
}
