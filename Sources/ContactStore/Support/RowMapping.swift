import ContactDomain
import Foundation

/// One mapping per model from a row of its ``StoreColumns`` list, shared by both backends.
enum RowMapping {
    /// A contact from the columns of ``StoreColumns/contact``.
    static func contact(_ row: some ColumnReader) throws -> Contact {
        Contact(
            id: try row.uuid(at: 0),
            businessID: try row.string(at: 1),
            firstName: try row.optionalString(at: 2),
            lastName: try row.optionalString(at: 3),
            companyName: try row.optionalString(at: 4),
            displayName: try row.string(at: 5),
            email: try row.optionalString(at: 6),
            phone: try row.optionalString(at: 7),
            relationshipStatus: try row.enumValue(at: 8),
            lifecycleStage: try row.enumValue(at: 9),
            lastContacted: try row.optionalTimestamp(at: 10),
            createdAt: try row.timestamp(at: 11),
            updatedAt: try row.timestamp(at: 12),
            version: try row.int(at: 13))
    }

    /// An interaction from the columns of ``StoreColumns/interaction``.
    static func interaction(_ row: some ColumnReader) throws -> Interaction {
        Interaction(
            id: try row.uuid(at: 0),
            contactID: try row.uuid(at: 1),
            type: try row.enumValue(at: 2),
            description: try row.string(at: 3),
            timestamp: try row.timestamp(at: 4),
            outcome: try row.optionalString(at: 5),
            nextAction: try row.optionalString(at: 6),
            scheduledFollowUp: try row.optionalTimestamp(at: 7),
            performedBy: try row.string(at: 8),
            performedByID: try row.string(at: 9))
    }

    /// A status history entry from the columns of ``StoreColumns/statusHistory``.
    static func statusHistoryEntry(_ row: some ColumnReader) throws -> StatusHistoryEntry {
        StatusHistoryEntry(
            id: try row.uuid(at: 0),
            contactID: try row.uuid(at: 1),
            fromStatus: try row.optionalEnumValue(at: 2),
            toStatus: try row.enumValue(at: 3),
            fromLifecycleStage: try row.optionalEnumValue(at: 4),
            toLifecycleStage: try row.enumValue(at: 5),
            timestamp: try row.timestamp(at: 6),
            changedBy: try row.string(at: 7),
            changedByID: try row.string(at: 8),
            reason: try row.optionalString(at: 9),
            notes: try row.optionalString(at: 10))
    }

    /// An idempotency record from the columns of ``StoreColumns/processedCommand``.
    static func processedCommand(_ row: some ColumnReader) throws -> ProcessedCommand {
        ProcessedCommand(
            commandID: try row.string(at: 0),
            fingerprint: try row.string(at: 1),
            businessID: try row.optionalString(at: 2),
            contactID: try row.optionalString(at: 3),
            commandType: try row.optionalString(at: 4),
            resultStatus: try row.int(at: 5),
            resultBody: try row.bytes(at: 6),
            processedAt: try row.timestamp(at: 7))
    }

    /// An event and its sequence from `sequence` followed by the columns of ``StoreColumns/event``.
    static func sequencedEvent(_ row: some ColumnReader) throws -> (sequence: Int64, event: StoredEvent) {
        let event = StoredEvent(
            id: try row.uuid(at: 1),
            contactID: try row.uuid(at: 2),
            businessID: try row.string(at: 3),
            commandID: try row.string(at: 4),
            type: try row.string(at: 5),
            time: try row.timestamp(at: 6),
            body: try row.bytes(at: 7))
        return (try row.int64(at: 0), event)
    }
}
