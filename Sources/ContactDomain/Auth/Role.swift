/// A user's role in a business (the token's `role` claim), which fixes default permissions.
///
/// Raw values are the wire spelling. An unknown role makes the token invalid (401) rather than
/// silently granting nothing, so a typo in an issuer's configuration is noticed.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// Owns the business account.
    case owner
    /// Administers the business account.
    case admin
    /// Manages staff and customers.
    case manager
    /// Staff member.
    case employee
    /// External worker: may view contacts only.
    case contractor
    /// Read-only user.
    case viewer

    /// docs/contract.md §4: owner, admin, manager and employee may view and edit contacts; contractor and
    /// viewer may only view them.
    public var defaultPermissions: Set<Permission> {
        switch self {
        case .owner, .admin, .manager, .employee: [.viewContacts, .editContacts]
        case .contractor, .viewer: [.viewContacts]
        }
    }
}
