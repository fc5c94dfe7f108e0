/// A permission a token grants. Open-ended: a token's extra `permissions` claim may name any
/// string, and only the ones this worker knows (``viewContacts``, ``editContacts``) matter.
public struct Permission: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The wire spelling (`edit_contacts`).
    public var rawValue: String

    /// Wraps a permission string.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Read contacts, interactions and status history (the HTTP read side).
    public static let viewContacts = Permission(rawValue: "view_contacts")
    /// Create contacts, record interactions, change status: required by every command.
    public static let editContacts = Permission(rawValue: "edit_contacts")

    /// The raw value.
    public var description: String { rawValue }
}
