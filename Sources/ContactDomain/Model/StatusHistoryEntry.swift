import Foundation

/// One change of a contact's status or lifecycle stage. History is append-only and never truncated.
///
/// Creation records an entry with `fromStatus == nil` and reason `"Initial status"`.
public struct StatusHistoryEntry: Sendable, Hashable {
    public var id: UUID
    public var contactID: UUID
    public var fromStatus: RelationshipStatus?
    public var toStatus: RelationshipStatus
    public var fromLifecycleStage: LifecycleStage?
    public var toLifecycleStage: LifecycleStage
    public var timestamp: Timestamp
    /// The token's `name` claim of the sender.
    public var changedBy: String
    /// The token's `sub` claim of the sender.
    public var changedByID: String
    public var reason: String?
    public var notes: String?

    public init(
        id: UUID,
        contactID: UUID,
        fromStatus: RelationshipStatus?,
        toStatus: RelationshipStatus,
        fromLifecycleStage: LifecycleStage?,
        toLifecycleStage: LifecycleStage,
        timestamp: Timestamp,
        changedBy: String,
        changedByID: String,
        reason: String?,
        notes: String?
    ) {
        self.id = id
        self.contactID = contactID
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.fromLifecycleStage = fromLifecycleStage
        self.toLifecycleStage = toLifecycleStage
        self.timestamp = timestamp
        self.changedBy = changedBy
        self.changedByID = changedByID
        self.reason = reason
        self.notes = notes
    }
}
