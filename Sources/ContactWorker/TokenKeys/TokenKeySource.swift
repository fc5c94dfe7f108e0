import ContactDomain

/// Where the worker's token keys come from: exactly one of `JWT_HS256_SECRET`,
/// `JWT_HS256_SECRETS`, `JWT_PUBLIC_KEY_FILE` (with `JWT_ALGORITHM`) or `JWT_JWKS_FILE`
/// (``WorkerSettings`` picks the one from the highest-precedence source).
public enum TokenKeySource: Sendable, Hashable {
    /// HS256 shared secrets, current first; a token verifies when any of them matches.
    case hs256(secrets: [[UInt8]])
    /// One ES256 or RS256 public key, read once at start.
    case publicKey(TokenKey)
    /// A JWKS file, re-read while the worker runs (``TokenKeyReloader``).
    case jwksFile(JWKSFile)

    /// The key set this source holds now, and for a JWKS file the bytes it was parsed from (a
    /// ``TokenKeyReloader`` compares later reads with them).
    public func loadKeySet() async throws(TokenConfigurationError) -> (keys: TokenKeySet, jwksBytes: [UInt8]?) {
        switch self {
        case .hs256(let secrets):
            return (try await TokenKeySet(keys: secrets.map { .hs256(secret: $0) }), nil)
        case .publicKey(let key):
            return (try await TokenKeySet(keys: [key]), nil)
        case .jwksFile(let file):
            let bytes = try file.read()
            return (try await TokenKeySet.fromJWKS(bytes), bytes)
        }
    }

    /// What is in force, for logs (`JWKS file /etc/…/jwks.json`); never the secrets.
    public var description: String {
        switch self {
        case .hs256(let secrets): secrets.count == 1 ? "an HS256 secret" : "\(secrets.count) HS256 secrets"
        case .publicKey(let key): "an \(key.algorithmName) public key file"
        case .jwksFile(let file): "JWKS file \(file.path)"
        }
    }
}
