import Foundation

/// The current state of one contact, as stored and as returned in a `CreateContact` result.
///
/// A contact belongs to exactly one business; every read and write is scoped by ``businessID``.
public struct Contact: Sendable, Hashable {
    /// The contact id, chosen by the sender of `CreateContact` (the envelope's `contact_id`).
    public var id: UUID
    /// The business the contact belongs to; every read and write is scoped by it.
    public var businessID: String
    /// Given name, as sent (never trimmed).
    public var firstName: String?
    /// Family name, as sent (never trimmed).
    public var lastName: String?
    /// Company name, as sent (never trimmed).
    public var companyName: String?
    /// `companyName` if present, else `firstName lastName` trimmed; derived, never sent by clients.
    public var displayName: String
    /// Email address, as sent.
    public var email: String?
    /// Phone number, as sent.
    public var phone: String?
    /// Current relationship status; changes only through the transition table.
    public var relationshipStatus: RelationshipStatus
    /// Current lifecycle stage.
    public var lifecycleStage: LifecycleStage
    /// The latest interaction timestamp seen so far; `nil` until the first interaction.
    public var lastContacted: Timestamp?
    /// The creating command's timestamp.
    public var createdAt: Timestamp
    /// The timestamp of the last command that changed the contact.
    public var updatedAt: Timestamp

    /// Creates a contact state.
    public init(
        id: UUID,
        businessID: String,
        firstName: String?,
        lastName: String?,
        companyName: String?,
        displayName: String,
        email: String?,
        phone: String?,
        relationshipStatus: RelationshipStatus,
        lifecycleStage: LifecycleStage,
        lastContacted: Timestamp?,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.businessID = businessID
        self.firstName = firstName
        self.lastName = lastName
        self.companyName = companyName
        self.displayName = displayName
        self.email = email
        self.phone = phone
        self.relationshipStatus = relationshipStatus
        self.lifecycleStage = lifecycleStage
        self.lastContacted = lastContacted
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
