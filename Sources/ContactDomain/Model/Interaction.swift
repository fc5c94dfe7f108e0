import Foundation

/// One recorded touch point with a contact (a call, a meeting, …). Interactions are append-only.
///
/// The ``id`` is derived from the command that recorded it, so replaying commands rebuilds the
/// same row.
public struct Interaction: Sendable, Hashable {
    public var id: UUID
    public var contactID: UUID
    public var type: InteractionType
    public var description: String
    public var timestamp: Timestamp
    public var outcome: String?
    public var nextAction: String?
    public var scheduledFollowUp: Timestamp?
    /// The token's `name` claim of the sender.
    public var performedBy: String
    /// The token's `sub` claim of the sender.
    public var performedByID: String

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
