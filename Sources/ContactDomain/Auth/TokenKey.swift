/// The key tokens are verified with (docs/contract.md §4, §11): an HS256 shared secret, or an ES256 / RS256
/// public key in PEM form. Exactly one algorithm is accepted per key, so a token claiming any
/// other `alg` (including `none`) is rejected before its signature is looked at.
public enum TokenKey: Sendable, Hashable {
    /// HMAC-SHA-256 with a shared secret of at least 32 bytes (`JWT_HS256_SECRET`).
    case hs256(secret: [UInt8])
    /// ECDSA P-256 with SHA-256, public key PEM (`JWT_PUBLIC_KEY_FILE`).
    case es256(publicKeyPEM: String)
    /// RSASSA-PKCS1-v1_5 with SHA-256, public key PEM of at least 2048 bits (`JWT_PUBLIC_KEY_FILE`).
    case rs256(publicKeyPEM: String)

    /// An HS256 key from a UTF-8 secret string.
    public static func hs256(secret: String) -> TokenKey {
        .hs256(secret: Array(secret.utf8))
    }

    /// The minimum HS256 secret length: the digest size, as RFC 7518 §3.2 requires.
    public static let minimumSecretBytes = 32

    /// The JWS `alg` this key verifies (`HS256`, `ES256`, `RS256`).
    public var algorithmName: String {
        switch self {
        case .hs256: "HS256"
        case .es256: "ES256"
        case .rs256: "RS256"
        }
    }
}
