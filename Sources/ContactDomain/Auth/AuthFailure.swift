/// Why a token was rejected. Every case is answered with the same 401 body (docs/contract.md §4,
/// ``ResultDetail/invalidCredentials``) so a caller learns nothing about which check failed; the
/// case is for the worker's logs and metrics.
public enum AuthFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `authorization` header.
    case missingHeader
    /// The header is not `Bearer <token>`.
    case notBearer
    /// Not three base64url parts of JSON, or claims of the wrong JSON type.
    case malformedToken
    /// The header's `alg` is not the algorithm of the key it names or of any configured key
    /// (covers `none` and HS/RS/ES confusion).
    case algorithmNotAllowed(String)
    /// The header's `kid` names no key of the JWKS in force (an unknown or removed key).
    case unknownKeyID(String)
    /// The token has no `kid` and the JWKS holds several keys of its `alg`.
    case keyIDRequired(String)
    /// The signature does not verify with the configured key.
    case badSignature
    /// No `exp` claim.
    case missingExpiration
    /// `exp` is not after `now`.
    case expired
    /// `iss` is not the configured issuer.
    case wrongIssuer
    /// `aud` does not include the configured audience.
    case wrongAudience
    /// A required claim (`sub`, `business_id`, `role`) is missing or empty.
    case missingClaim(String)
    /// `role` is not one of the six roles.
    case unknownRole(String)
    /// A `sub`, `name` or `business_id` claim longer than ``FieldLimits/claim`` characters or
    /// holding a NUL character: the worker records these claims, so it refuses what it cannot store.
    case unusableClaim(String)

    /// The status of every authentication failure.
    public static let status = 401

    /// A short reason for logs (never sent to the caller).
    public var description: String {
        switch self {
        case .missingHeader: "authorization header missing"
        case .notBearer: "authorization header is not a Bearer token"
        case .malformedToken: "token is malformed"
        case .algorithmNotAllowed(let alg): "token algorithm \(alg) is not the algorithm of a configured key"
        case .unknownKeyID(let kid): "token kid \(kid) names no key of the JWKS in force"
        case .keyIDRequired(let alg): "token has no kid and the JWKS holds several \(alg) keys"
        case .badSignature: "token signature does not verify"
        case .missingExpiration: "token has no exp claim"
        case .expired: "token expired"
        case .wrongIssuer: "token issuer is not the configured one"
        case .wrongAudience: "token audience does not include the configured one"
        case .missingClaim(let claim): "token lacks the \(claim) claim"
        case .unknownRole(let role): "token role \(role) is unknown"
        case .unusableClaim(let claim):
            "token \(claim) claim is longer than \(FieldLimits.claim) characters or holds a NUL character"
        }
    }
}
