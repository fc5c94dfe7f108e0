import Foundation

/// One change of a contact's status or lifecycle stage. History is append-only and never truncated.
///
/// Creation records an entry with `fromStatus == nil` and reason `"Initial status"`.
public struct StatusHistoryEntry: Sendable, Hashable {
    /// Name-based id derived from the command's `command_id`.
    public var id: UUID
    /// The contact whose status changed.
    public var contactID: UUID
    /// The status before; `nil` for the creation entry.
    public var fromStatus: RelationshipStatus?
    /// The status after.
    public var toStatus: RelationshipStatus
    /// The stage before; `nil` for the creation entry.
    public var fromLifecycleStage: LifecycleStage?
    /// The stage after.
    public var toLifecycleStage: LifecycleStage
    /// The command's timestamp.
    public var timestamp: Timestamp
    /// The token's `name` claim of the sender.
    public var changedBy: String
    /// The token's `sub` claim of the sender.
    public var changedByID: String
    /// Why (`"Initial status"` on creation).
    public var reason: String?
    /// Free notes.
    public var notes: String?

    /// Creates a history entry.
    ///
    /// Never inlined: where an inlined call makes one, the optimizer copies the whole value, retaining
    /// and releasing every string in it. The memberwise initializer, which builds it in place, cannot
    /// be public (decision 0014).
    @inline(never)
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
