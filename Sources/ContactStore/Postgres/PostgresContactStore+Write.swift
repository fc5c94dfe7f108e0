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
        if !contacts.isEmpty {
            queries.append(
                """
                INSERT INTO contacts (\(unescaped: StoreColumns.contact))
                SELECT * FROM UNNEST(\(contacts.map(\.id)), \(contacts.map(\.businessID)),
                    \(PostgresNullableArray(contacts.map(\.firstName))), \(PostgresNullableArray(contacts.map(\.lastName))),
                    \(PostgresNullableArray(contacts.map(\.companyName))), \(contacts.map(\.displayName)),
                    \(PostgresNullableArray(contacts.map(\.email))), \(PostgresNullableArray(contacts.map(\.phone))),
                    \(contacts.map(\.relationshipStatus.rawValue)), \(contacts.map(\.lifecycleStage.rawValue)),
                    \(PostgresNullableArray(contacts.map { $0.lastContacted.map(PostgresTimestamp.init) })),
                    \(contacts.map { PostgresTimestamp($0.createdAt) }), \(contacts.map { PostgresTimestamp($0.updatedAt) }),
                    \(contacts.map { Int32(clamping: $0.version) }))
                ON CONFLICT (id) DO UPDATE SET \(unescaped: StoreColumns.contactUpdate)
                """)
        }
        // Interactions and status history list equal timestamps by recording order (the identity
        // column `recorded`); ORDER BY ordinality numbers the rows in the batch's order.
        let interactions = batch.interactions
        if !interactions.isEmpty {
            queries.append(
                """
                INSERT INTO interactions (\(unescaped: StoreColumns.interaction))
                SELECT \(unescaped: StoreColumns.interaction)
                FROM UNNEST(\(interactions.map(\.id)), \(interactions.map(\.contactID)),
                    \(interactions.map(\.type.rawValue)), \(interactions.map(\.description)),
                    \(interactions.map { PostgresTimestamp($0.timestamp) }),
                    \(PostgresNullableArray(interactions.map(\.outcome))),
                    \(PostgresNullableArray(interactions.map(\.nextAction))),
                    \(PostgresNullableArray(interactions.map { $0.scheduledFollowUp.map(PostgresTimestamp.init) })),
                    \(interactions.map(\.performedBy)), \(interactions.map(\.performedByID)))
                    WITH ORDINALITY AS i (\(unescaped: StoreColumns.interaction), position)
                ORDER BY position
                """)
        }
        let history = batch.statusHistory
        if !history.isEmpty {
            queries.append(
                """
                INSERT INTO status_history (\(unescaped: StoreColumns.statusHistory))
                SELECT \(unescaped: StoreColumns.statusHistory)
                FROM UNNEST(\(history.map(\.id)), \(history.map(\.contactID)),
                    \(PostgresNullableArray(history.map { $0.fromStatus?.rawValue })), \(history.map(\.toStatus.rawValue)),
                    \(PostgresNullableArray(history.map { $0.fromLifecycleStage?.rawValue })),
                    \(history.map(\.toLifecycleStage.rawValue)), \(history.map { PostgresTimestamp($0.timestamp) }),
                    \(history.map(\.changedBy)), \(history.map(\.changedByID)),
                    \(PostgresNullableArray(history.map(\.reason))), \(PostgresNullableArray(history.map(\.notes))))
                    WITH ORDINALITY AS h (\(unescaped: StoreColumns.statusHistory), position)
                ORDER BY position
                """)
        }
        let commands = batch.processedCommands
        if !commands.isEmpty {
            queries.append(
                """
                INSERT INTO processed_commands (\(unescaped: StoreColumns.processedCommand))
                SELECT * FROM UNNEST(\(commands.map(\.commandID)), \(commands.map(\.fingerprint)),
                    \(PostgresNullableArray(commands.map(\.businessID))), \(PostgresNullableArray(commands.map(\.contactID))),
                    \(PostgresNullableArray(commands.map(\.commandType))), \(commands.map { Int32(clamping: $0.resultStatus) }),
                    \(commands.map { ByteBuffer(bytes: $0.resultBody) }), \(commands.map { PostgresTimestamp($0.processedAt) }))
                """)
        }
        let events = batch.events
        if !events.isEmpty {
            // ORDER BY ordinality makes the identity column number rows in the batch's order.
            queries.append(
                """
                INSERT INTO events (\(unescaped: StoreColumns.event))
                SELECT \(unescaped: StoreColumns.event)
                FROM UNNEST(\(events.map(\.id)), \(events.map(\.contactID)), \(events.map(\.businessID)),
                    \(events.map(\.commandID)), \(events.map(\.type)), \(events.map { PostgresTimestamp($0.time) }),
                    \(events.map { ByteBuffer(bytes: $0.body) }))
                    WITH ORDINALITY AS e (\(unescaped: StoreColumns.event), position)
                ORDER BY position
                """)
        }
        return queries
    }
}
