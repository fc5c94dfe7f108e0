import JWTKit

/// Mints HS256 tokens with the configured development secret: the CLI's `token` command and the
/// tests use it to produce exactly what ``TokenVerifier`` accepts.
///
/// Production tokens come from the identity provider; this exists for development and tests.
public struct TokenSigner: Sendable {
    /// Why a token could not be signed.
    public struct SigningError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What the JWT library reported.
        public var reason: String
        /// The reason.
        public var description: String { "cannot sign token: \(reason)" }
    }

    private let keys: JWTKeyCollection

    /// A signer for `secret` (at least ``TokenKey/minimumSecretBytes`` bytes).
    public init(hs256Secret secret: [UInt8]) async throws(TokenConfigurationError) {
        guard secret.count >= TokenKey.minimumSecretBytes else { throw .secretTooShort(bytes: secret.count) }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// A signer for a UTF-8 secret string.
    public init(hs256Secret secret: String) async throws(TokenConfigurationError) {
        try await self.init(hs256Secret: Array(secret.utf8))
    }

    /// The compact JWS of `claims`, header `{"alg":"HS256","typ":"JWT"}`.
    public func sign(_ claims: TokenClaims) async throws(SigningError) -> String {
        do {
            return try await keys.sign(claims, header: ["typ": "JWT"])
        } catch {
            throw SigningError(reason: String(describing: error))
        }
    }
}
