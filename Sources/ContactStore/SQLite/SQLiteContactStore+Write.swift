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
            try Self.upsertContacts(batch.uniqueContacts, db)
            try Self.insertInteractions(batch.interactions, db)
            try Self.insertStatusHistory(batch.statusHistory, db)
            try Self.insertProcessedCommands(batch.processedCommands, db)
            try Self.insertEvents(batch.events, db)
            let sequences = try Self.insertOutbox(batch.outbox, db)
            try Self.deleteOutbox(batch.published, db, database: database)
            try Self.upsertOffsets(batch.offsets, db, database: database)
            return sequences
        }
    }

    static func upsertContacts(_ contacts: [Contact], _ db: Database) throws {
        guard !contacts.isEmpty else { return }
        // Most commands change a contact's non-indexed columns only (AddInteraction: last_contacted
        // and updated_at). An UPSERT rewrites every index of the columns it sets, even with equal
        // values; this UPDATE leaves the indexed columns out and matches only when they are
        // unchanged, so a new contact, or one whose status or business changed, still goes
        // through the full upsert. It leaves lifecycle_stage out the same way: SQLite evaluates a
        // CHECK only when the UPDATE sets a column it names, and the `IN (…)` list of that CHECK
        // builds a temporary b-tree on every execution.
        let update = try db.cachedStatement(
            sql: """
                UPDATE contacts SET first_name = ?, last_name = ?, company_name = ?, display_name = ?, email = ?,
                    phone = ?, last_contacted = ?, created_at = ?, updated_at = ?, version = ?
                WHERE id = ? AND business_id = ? AND relationship_status = ? AND lifecycle_stage = ?
                """)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO contacts (\(StoreColumns.contact))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET \(StoreColumns.contactUpdate)
                """)
        for contact in contacts {
            let id = contact.id.lowercasedString
            try update.execute(arguments: [
                contact.firstName, contact.lastName, contact.companyName, contact.displayName, contact.email,
                contact.phone, contact.lastContacted?.microsecondsSinceEpoch, contact.createdAt.microsecondsSinceEpoch,
                contact.updatedAt.microsecondsSinceEpoch, contact.version, id, contact.businessID,
                contact.relationshipStatus.rawValue, contact.lifecycleStage.rawValue,
            ])
            guard db.changesCount == 0 else { continue }
            try upsert.execute(arguments: [
                id, contact.businessID, contact.firstName, contact.lastName,
                contact.companyName, contact.displayName, contact.email, contact.phone,
                contact.relationshipStatus.rawValue, contact.lifecycleStage.rawValue,
                contact.lastContacted?.microsecondsSinceEpoch, contact.createdAt.microsecondsSinceEpoch,
                contact.updatedAt.microsecondsSinceEpoch, contact.version,
            ])
        }
    }

    static func insertInteractions(_ interactions: [Interaction], _ db: Database) throws {
        guard !interactions.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO interactions (\(StoreColumns.interaction))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for interaction in interactions {
            try statement.execute(arguments: [
                interaction.id.lowercasedString, interaction.contactID.lowercasedString, interaction.type.rawValue,
                interaction.description, interaction.timestamp.microsecondsSinceEpoch, interaction.outcome,
                interaction.nextAction, interaction.scheduledFollowUp?.microsecondsSinceEpoch,
                interaction.performedBy, interaction.performedByID,
            ])
        }
    }

    static func insertStatusHistory(_ entries: [StatusHistoryEntry], _ db: Database) throws {
        guard !entries.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO status_history (\(StoreColumns.statusHistory))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for entry in entries {
            try statement.execute(arguments: [
                entry.id.lowercasedString, entry.contactID.lowercasedString, entry.fromStatus?.rawValue,
                entry.toStatus.rawValue, entry.fromLifecycleStage?.rawValue, entry.toLifecycleStage.rawValue,
                entry.timestamp.microsecondsSinceEpoch, entry.changedBy, entry.changedByID, entry.reason,
                entry.notes,
            ])
        }
    }

    static func insertProcessedCommands(_ commands: [ProcessedCommand], _ db: Database) throws {
        guard !commands.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO processed_commands (\(StoreColumns.processedCommand))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for command in commands {
            try statement.execute(arguments: [
                command.commandID, command.fingerprint, command.businessID, command.contactID, command.commandType,
                command.resultStatus, Data(command.resultBody), command.processedAt.microsecondsSinceEpoch,
            ])
        }
    }

    static func insertEvents(_ events: [StoredEvent], _ db: Database) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (\(StoreColumns.event))
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        for event in events {
            try statement.execute(arguments: [
                event.id.lowercasedString, event.contactID.lowercasedString, event.businessID, event.commandID,
                event.type, event.time.microsecondsSinceEpoch, Data(event.body),
            ])
        }
    }
}
