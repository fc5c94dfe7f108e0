import Foundation

/// One recorded touch point with a contact (a call, a meeting, …). Interactions are append-only.
///
/// The ``id`` is derived from the command that recorded it, so replaying commands rebuilds the
/// same row.
public struct Interaction: Sendable, Hashable {
    /// Name-based id derived from the recording command's `command_id`.
    public var id: UUID
    /// The contact the interaction belongs to.
    public var contactID: UUID
    /// What kind of touch point it was.
    public var type: InteractionType
    /// What happened (1–1000 characters).
    public var description: String
    /// When it happened: the recording command's timestamp.
    public var timestamp: Timestamp
    /// The result, if recorded.
    public var outcome: String?
    /// What to do next, if recorded.
    public var nextAction: String?
    /// When to follow up, if scheduled.
    public var scheduledFollowUp: Timestamp?
    /// The token's `name` claim of the sender.
    public var performedBy: String
    /// The token's `sub` claim of the sender.
    public var performedByID: String

    /// Creates an interaction record.
    ///
    /// Never inlined: where an inlined call makes one, the optimizer copies the whole value, retaining
    /// and releasing every string in it. The memberwise initializer, which builds it in place, cannot
    /// be public (decision 0014).
    @inline(never)
    public init(
        id: UUID,
        contactID: UUID,
        type: InteractionType,
        description: String,
        timestamp: Timestamp,
        outcome: String?,
        nextAction: String?,
        scheduledFollowUp: Timestamp?,
        performedBy: String,
        performedByID: String
    ) {
        self.id = id
        self.contactID = contactID
        self.type = type
        self.description = description
        self.timestamp = timestamp
        self.outcome = outcome
        self.nextAction = nextAction
        self.scheduledFollowUp = scheduledFollowUp
        self.performedBy = performedBy
        self.performedByID = performedByID
    }
}
