import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// The batch write: one `UNNEST` statement per table of a ``StoreBatch``, in one transaction.
extension PostgresContactStore {
    /// Writes the whole batch in one transaction: contacts, history, idempotency records, events, outbox and offsets commit together or not at all.
    @discardableResult
    public func apply(_ batch: StoreBatch) async throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        let logger = self.logger
        let database = self.database
        return try await withConnection(input: batch) { connection, input in
            try await connection.withTransaction(logger: logger) { connection in
                let batch = try input.value()
                // A lock held elsewhere (an operator's open transaction, VACUUM FULL) would block
                // the batch, and its partitions, with no end; this turns it into a retriable
                // error after 30 s (SQLSTATE 57014): the worker backs off and reports not-ready.
                try await connection.query("SET LOCAL statement_timeout = '30s'", logger: logger)
                for query in Self.batchQueries(batch) {
                    try await connection.query(query, logger: logger)
                }
                let sequences = try await Self.insertOutbox(
                    batch.outbox, connection, database: database, logger: logger)
                try await Self.deleteOutbox(batch.published, connection, database: database, logger: logger)
                try await Self.storeOffsets(batch.offsets, connection, database: database, logger: logger)
                return sequences
            }
        }
    }

    /// The statements of one batch's state and history, one per non-empty table, in foreign-key
    /// order (the outbox and the offsets follow them).
    static func batchQueries(_ batch: StoreBatch) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        let contacts = batch.uniqueContacts
        if !contacts.isEmpty { queries.append(upsertContacts(contacts)) }
        if !batch.interactions.isEmpty { queries.append(insertInteractions(batch.interactions)) }
        if !batch.statusHistory.isEmpty { queries.append(insertStatusHistory(batch.statusHistory)) }
        if !batch.processedCommands.isEmpty { queries.append(insertProcessedCommands(batch.processedCommands)) }
        if !batch.events.isEmpty { queries.append(insertEvents(batch.events)) }
        return queries
    }

    // Each statement binds one array per column, in the order of the table's column list
    // (``StoreColumns``), filled in one pass over the rows (see ``PostgresArrayColumn``, and
    // ``PostgresByteaArray`` for the bodies).

    /// Upserts `contacts` (ids unique within them, as ``StoreBatch/uniqueContacts`` gives them).
    static func upsertContacts(_ contacts: [Contact]) -> PostgresQuery {
        let rows = contacts.count
        var id = PostgresArrayColumn<UUID>(reservingRows: rows)
        var businessID = PostgresArrayColumn<String>(reservingRows: rows)
        var firstName = PostgresArrayColumn<String>(reservingRows: rows)
        var lastName = PostgresArrayColumn<String>(reservingRows: rows)
        var companyName = PostgresArrayColumn<String>(reservingRows: rows)
        var displayName = PostgresArrayColumn<String>(reservingRows: rows)
        var email = PostgresArrayColumn<String>(reservingRows: rows)
        var phone = PostgresArrayColumn<String>(reservingRows: rows)
        var relationshipStatus = PostgresArrayColumn<String>(reservingRows: rows)
        var lifecycleStage = PostgresArrayColumn<String>(reservingRows: rows)
        var lastContacted = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var createdAt = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var updatedAt = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var version = PostgresArrayColumn<Int32>(reservingRows: rows)
        for contact in contacts {
            id.append(contact.id)
            businessID.append(contact.businessID)
            firstName.append(contact.firstName)
            lastName.append(contact.lastName)
            companyName.append(contact.companyName)
            displayName.append(contact.displayName)
            email.append(contact.email)
            phone.append(contact.phone)
            relationshipStatus.append(contact.relationshipStatus.rawValue)
            lifecycleStage.append(contact.lifecycleStage.rawValue)
            lastContacted.append(contact.lastContacted)
            createdAt.append(contact.createdAt)
            updatedAt.append(contact.updatedAt)
            version.append(Int32(clamping: contact.version))
        }
        return """
            INSERT INTO contacts (\(unescaped: StoreColumns.contact))
            SELECT * FROM UNNEST(\(id), \(businessID),
                \(firstName), \(lastName),
                \(companyName), \(displayName),
                \(email), \(phone),
                \(relationshipStatus), \(lifecycleStage),
                \(lastContacted),
                \(createdAt), \(updatedAt),
                \(version))
            ON CONFLICT (id) DO UPDATE SET \(unescaped: StoreColumns.contactUpdate)
            """
    }

    /// Inserts `interactions` in their order.
    static func insertInteractions(_ interactions: [Interaction]) -> PostgresQuery {
        let rows = interactions.count
        var id = PostgresArrayColumn<UUID>(reservingRows: rows)
        var contactID = PostgresArrayColumn<UUID>(reservingRows: rows)
        var type = PostgresArrayColumn<String>(reservingRows: rows)
        var description = PostgresArrayColumn<String>(reservingRows: rows)
        var timestamp = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var outcome = PostgresArrayColumn<String>(reservingRows: rows)
        var nextAction = PostgresArrayColumn<String>(reservingRows: rows)
        var scheduledFollowUp = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var performedBy = PostgresArrayColumn<String>(reservingRows: rows)
        var performedByID = PostgresArrayColumn<String>(reservingRows: rows)
        for interaction in interactions {
            id.append(interaction.id)
            contactID.append(interaction.contactID)
            type.append(interaction.type.rawValue)
            description.append(interaction.description)
            timestamp.append(interaction.timestamp)
            outcome.append(interaction.outcome)
            nextAction.append(interaction.nextAction)
            scheduledFollowUp.append(interaction.scheduledFollowUp)
            performedBy.append(interaction.performedBy)
            performedByID.append(interaction.performedByID)
        }
        // Interactions and status history list equal timestamps by recording order (the identity
        // column `recorded`); ORDER BY ordinality numbers the rows in the batch's order.
        return """
            INSERT INTO interactions (\(unescaped: StoreColumns.interaction))
            SELECT \(unescaped: StoreColumns.interaction)
            FROM UNNEST(\(id), \(contactID),
                \(type), \(description),
                \(timestamp),
                \(outcome),
                \(nextAction),
                \(scheduledFollowUp),
                \(performedBy), \(performedByID))
                WITH ORDINALITY AS i (\(unescaped: StoreColumns.interaction), position)
            ORDER BY position
            """
    }

    /// Inserts `history` in its order (see ``insertInteractions(_:)`` for the ordering).
    static func insertStatusHistory(_ history: [StatusHistoryEntry]) -> PostgresQuery {
        let rows = history.count
        var id = PostgresArrayColumn<UUID>(reservingRows: rows)
        var contactID = PostgresArrayColumn<UUID>(reservingRows: rows)
        var fromStatus = PostgresArrayColumn<String>(reservingRows: rows)
        var toStatus = PostgresArrayColumn<String>(reservingRows: rows)
        var fromLifecycleStage = PostgresArrayColumn<String>(reservingRows: rows)
        var toLifecycleStage = PostgresArrayColumn<String>(reservingRows: rows)
        var timestamp = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var changedBy = PostgresArrayColumn<String>(reservingRows: rows)
        var changedByID = PostgresArrayColumn<String>(reservingRows: rows)
        var reason = PostgresArrayColumn<String>(reservingRows: rows)
        var notes = PostgresArrayColumn<String>(reservingRows: rows)
        for entry in history {
            id.append(entry.id)
            contactID.append(entry.contactID)
            fromStatus.append(entry.fromStatus?.rawValue)
            toStatus.append(entry.toStatus.rawValue)
            fromLifecycleStage.append(entry.fromLifecycleStage?.rawValue)
            toLifecycleStage.append(entry.toLifecycleStage.rawValue)
            timestamp.append(entry.timestamp)
            changedBy.append(entry.changedBy)
            changedByID.append(entry.changedByID)
            reason.append(entry.reason)
            notes.append(entry.notes)
        }
        return """
            INSERT INTO status_history (\(unescaped: StoreColumns.statusHistory))
            SELECT \(unescaped: StoreColumns.statusHistory)
            FROM UNNEST(\(id), \(contactID),
                \(fromStatus), \(toStatus),
                \(fromLifecycleStage),
                \(toLifecycleStage), \(timestamp),
                \(changedBy), \(changedByID),
                \(reason), \(notes))
                WITH ORDINALITY AS h (\(unescaped: StoreColumns.statusHistory), position)
            ORDER BY position
            """
    }

    /// Inserts the idempotency records `commands`.
    static func insertProcessedCommands(_ commands: [ProcessedCommand]) -> PostgresQuery {
        let rows = commands.count
        var commandID = PostgresArrayColumn<String>(reservingRows: rows)
        var fingerprint = PostgresArrayColumn<String>(reservingRows: rows)
        var businessID = PostgresArrayColumn<String>(reservingRows: rows)
        var contactID = PostgresArrayColumn<String>(reservingRows: rows)
        var commandType = PostgresArrayColumn<String>(reservingRows: rows)
        var resultStatus = PostgresArrayColumn<Int32>(reservingRows: rows)
        var resultBody = PostgresByteaArray(reservingRows: rows)
        var processedAt = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        for command in commands {
            commandID.append(command.commandID)
            fingerprint.append(command.fingerprint)
            businessID.append(command.businessID)
            contactID.append(command.contactID)
            commandType.append(command.commandType)
            resultStatus.append(Int32(clamping: command.resultStatus))
            resultBody.append(command.resultBody)
            processedAt.append(command.processedAt)
        }
        return """
            INSERT INTO processed_commands (\(unescaped: StoreColumns.processedCommand))
            SELECT * FROM UNNEST(\(commandID), \(fingerprint),
                \(businessID), \(contactID),
                \(commandType), \(resultStatus),
                \(resultBody), \(processedAt))
            """
    }

    /// Appends `events` to the event log in their order.
    static func insertEvents(_ events: [StoredEvent]) -> PostgresQuery {
        let rows = events.count
        var id = PostgresArrayColumn<UUID>(reservingRows: rows)
        var contactID = PostgresArrayColumn<UUID>(reservingRows: rows)
        var businessID = PostgresArrayColumn<String>(reservingRows: rows)
        var commandID = PostgresArrayColumn<String>(reservingRows: rows)
        var type = PostgresArrayColumn<String>(reservingRows: rows)
        var time = PostgresArrayColumn<Timestamp>(reservingRows: rows)
        var body = PostgresByteaArray(reservingRows: rows)
        for event in events {
            id.append(event.id)
            contactID.append(event.contactID)
            businessID.append(event.businessID)
            commandID.append(event.commandID)
            type.append(event.type)
            time.append(event.time)
            body.append(event.body)
        }
        // ORDER BY ordinality makes the identity column number rows in the batch's order.
        return """
            INSERT INTO events (\(unescaped: StoreColumns.event))
            SELECT \(unescaped: StoreColumns.event)
            FROM UNNEST(\(id), \(contactID), \(businessID),
                \(commandID), \(type), \(time),
                \(body))
                WITH ORDINALITY AS e (\(unescaped: StoreColumns.event), position)
            ORDER BY position
            """
    }
}
