import Foundation

/// The current state of one contact, as stored and as returned in a `CreateContact` result.
///
/// A contact belongs to exactly one business; every read and write is scoped by ``businessID``.
public struct Contact: Sendable, Hashable {
    public var id: UUID
    public var businessID: String
    public var firstName: String?
    public var lastName: String?
    public var companyName: String?
    /// `companyName` if present, else `firstName lastName` trimmed; derived, never sent by clients.
    public var displayName: String
    public var email: String?
    public var phone: String?
    public var relationshipStatus: RelationshipStatus
    public var lifecycleStage: LifecycleStage
    /// The latest interaction timestamp seen so far; `nil` until the first interaction.
    public var lastContacted: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

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
