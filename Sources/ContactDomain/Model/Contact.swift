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
    /// How many accepted commands have changed the contact: 1 after `CreateContact`, one more
    /// with every accepted `AddInteraction` and `UpdateStatus`. Every event carries the version
    /// the contact reached with it (`contactversion`), so a subscriber can order events, drop
    /// re-deliveries and notice a gap. It is derived from the commands alone, so a replay into an
    /// empty database and `republish` give the same numbers; it also always equals the number of
    /// the contact's status-history entries plus its interactions.
    public var version: Int

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
        updatedAt: Timestamp,
        version: Int = 1
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
        self.version = version
    }
}
