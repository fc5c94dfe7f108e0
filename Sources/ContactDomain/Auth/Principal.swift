/// The authenticated sender of a command, from a verified token.
///
/// Called a principal rather than an "actor" so it never shadows Swift's `Actor` protocol in
/// modules that import `ContactDomain`.
public struct Principal: Sendable, Hashable {
    /// The token's `sub`; recorded as `performed_by_id` / `changed_by_id`.
    public var userID: String
    /// The token's `name`, falling back to `sub`; recorded as `performed_by` / `changed_by`.
    public var name: String
    /// The token's `business_id`: the only business this actor may act in.
    public var businessID: String
    /// The token's `role`.
    public var role: Role
    /// The role's defaults plus the token's extra `permissions`.
    public var permissions: Set<Permission>

    /// Creates an actor; `permissions` defaults to the role's.
    public init(
        userID: String, name: String? = nil, businessID: String, role: Role, permissions: Set<Permission>? = nil
    ) {
        self.userID = userID
        self.name = name ?? userID
        self.businessID = businessID
        self.role = role
        self.permissions = permissions ?? role.defaultPermissions
    }

    /// Whether the actor holds `permission`.
    public func has(_ permission: Permission) -> Bool {
        permissions.contains(permission)
    }
}
