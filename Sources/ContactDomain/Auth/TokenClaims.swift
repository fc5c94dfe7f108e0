import JWTKit

/// The claims of a contact-worker token (docs/contract.md §4), as signed by ``TokenSigner`` and read by
/// ``TokenVerifier``.
///
/// Every claim is optional at the decoding level so that a token lacking one is reported as such
/// (401) instead of failing inside the JWT library; ``TokenVerifier`` enforces what is required.
/// ``verify(using:)`` deliberately checks nothing: expiry is compared with the caller's `now`, not
/// the library's clock, so verification is deterministic.
public struct TokenClaims: JWTPayload, Equatable {
    /// `sub`: the user id (required).
    public var sub: String?
    /// `exp`: expiry, seconds since the epoch (required).
    public var exp: Double?
    /// `nbf`: not valid before, seconds since the epoch (optional, honoured when present).
    public var nbf: Double?
    /// `name`: display name of the user; falls back to `sub`.
    public var name: String?
    /// `business_id`: the business the user acts in (required).
    public var businessID: String?
    /// `role`: one of ``Role`` (required).
    public var role: String?
    /// `permissions`: extra permissions on top of the role's.
    public var permissions: [String]?
    /// `iss`: the issuer, compared when an issuer is configured.
    public var iss: String?
    /// `aud`: the audience(s), compared when an audience is configured.
    public var aud: AudienceClaim?

    enum CodingKeys: String, CodingKey {
        case sub, exp, nbf, name, role, permissions, iss, aud
        case businessID = "business_id"
    }

    /// Creates claims from raw values.
    public init(
        sub: String?, exp: Double?, nbf: Double? = nil, name: String? = nil, businessID: String?, role: String?,
        permissions: [String]? = nil, iss: String? = nil, aud: [String]? = nil
    ) {
        self.sub = sub
        self.exp = exp
        self.nbf = nbf
        self.name = name
        self.businessID = businessID
        self.role = role
        self.permissions = permissions
        self.iss = iss
        self.aud = aud.map { AudienceClaim(value: $0) }
    }

    /// Claims for `actor`'s user, valid until `expiresAt` (whole seconds).
    public init(
        for actor: Principal, expiresAt: Timestamp, extraPermissions: [String]? = nil, issuer: String? = nil,
        audience: String? = nil
    ) {
        self.init(
            sub: actor.userID, exp: Double(expiresAt.microsecondsSinceEpoch / 1_000_000), name: actor.name,
            businessID: actor.businessID, role: actor.role.rawValue, permissions: extraPermissions, iss: issuer,
            aud: audience.map { [$0] })
    }

    /// Does nothing on purpose; see the type's documentation.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
