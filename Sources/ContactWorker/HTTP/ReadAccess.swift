import ContactDomain

/// Who may read contacts over HTTP (docs/contract.md §4 and §10): a Bearer JWT verified with the worker's
/// ``TokenVerifier`` (same key, issuer and audience as the commands), holding `view_contacts`.
///
/// The business a request may read is the token's `business_id`; ``ContactQueries`` applies it,
/// so another business's contact answers 404 like a missing one.
public struct ReadAccess: Sendable {
    /// Why a request may not read.
    public enum Denial: Error, Sendable, Hashable {
        /// 401: the token is missing, malformed, badly signed or expired (the case is for logs only).
        case unauthenticated(AuthFailure)
        /// 403: the token is valid but lacks `view_contacts`.
        case missingPermission

        /// The HTTP status of this denial.
        public var status: Int {
            switch self {
            case .unauthenticated: AuthFailure.status
            case .missingPermission: 403
            }
        }

        /// The exact body of this denial.
        public var body: JSONValue {
            switch self {
            case .unauthenticated: .object(["detail": .string(ResultDetail.invalidCredentials)])
            case .missingPermission: .object(["detail": .string(ReadAccess.insufficientPermissions)])
            }
        }
    }

    /// The 403 detail of a read without `view_contacts`.
    public static let insufficientPermissions = "Insufficient permissions: view_contacts required"

    /// The verifier of the worker's tokens.
    public let verifier: TokenVerifier

    /// Checks tokens with `verifier`.
    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    /// The principal of an `authorization` header value at `now`, if it may read contacts.
    public func authorize(authorizationHeader: String?, now: Timestamp) async -> Result<Principal, Denial> {
        switch await verifier.verify(authorizationHeader: authorizationHeader, now: now) {
        case .success(let principal): Self.authorize(principal)
        case .failure(let failure): .failure(.unauthenticated(failure))
        }
    }

    /// The permission check alone: `principal` may read when it holds `view_contacts`.
    public static func authorize(_ principal: Principal) -> Result<Principal, Denial> {
        principal.has(.viewContacts) ? .success(principal) : .failure(.missingPermission)
    }
}
