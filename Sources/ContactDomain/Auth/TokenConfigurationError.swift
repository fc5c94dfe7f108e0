/// A token key or signer that cannot be set up; fails the worker at start with one line naming
/// the configuration key. On a reload (``TokenKeyRing``) the same error is logged and the keys in
/// force stay.
public enum TokenConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HS256 secret is shorter than ``TokenKey/minimumSecretBytes``.
    case secretTooShort(bytes: Int)
    /// The PEM text is not a public key of the expected algorithm.
    case invalidPublicKey(algorithm: String, underlying: String)
    /// The configured issuer or audience is an empty string.
    case emptyClaimRequirement(claim: String)
    /// The JWKS document cannot be used (see ``TokenKeySet/fromJWKS(_:)``).
    case invalidJWKS(reason: String)
    /// The source holds no key this worker verifies with; `ignored` says why each key was left out.
    case noKeys(source: String, ignored: [String])

    /// e.g. `JWT_HS256_SECRET: must be at least 32 bytes (got 6)`.
    public var description: String {
        switch self {
        case .secretTooShort(let bytes):
            "JWT_HS256_SECRET: must be at least \(TokenKey.minimumSecretBytes) bytes (got \(bytes))"
        case .invalidPublicKey(let algorithm, let underlying):
            "JWT_PUBLIC_KEY_FILE: not a valid \(algorithm) public key in PEM form (\(underlying))"
        case .emptyClaimRequirement(let claim):
            "JWT_\(claim.uppercased()): must not be empty (unset it to skip the \(claim) check)"
        case .invalidJWKS(let reason):
            "JWT_JWKS_FILE: \(reason)"
        case .noKeys(let source, let ignored):
            "\(source): no key to verify tokens with (ES256 on P-256, RS256, or oct with \"alg\":\"HS256\")"
                + (ignored.isEmpty ? "" : "; ignored: " + ignored.joined(separator: "; "))
        }
    }
}
