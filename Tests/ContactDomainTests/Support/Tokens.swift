import Foundation
import JWTKit

@testable import ContactDomain

/// Token minting for the tests: HS256 through the module's ``TokenSigner``, ES256/RS256 with the
/// fixed test keys, and hand-built tokens for the attacks.
enum Tokens {
    static let secret = "test-secret-0123456789-abcdefghijklmnop"
    /// 2024-01-10T14:30:00Z, the instant the tests verify at.
    static let now = Fixtures.issuedAt
    static let nowSeconds = Double(now.microsecondsSinceEpoch / 1_000_000)

    static func claims(
        sub: String? = "user-1", exp: Double? = nowSeconds + 3600, name: String? = "Jane Doe",
        businessID: String? = Fixtures.businessID, role: String? = "employee", permissions: [String]? = nil,
        iss: String? = nil, aud: [String]? = nil, nbf: Double? = nil
    ) -> TokenClaims {
        TokenClaims(
            sub: sub, exp: exp, nbf: nbf, name: name, businessID: businessID, role: role, permissions: permissions,
            iss: iss, aud: aud)
    }

    static func hs256(_ claims: TokenClaims = claims(), secret: String = secret) async throws -> String {
        try await TokenSigner(hs256Secret: secret).sign(claims)
    }

    static func rs256(_ claims: TokenClaims = claims()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: TestKeys.rsaPrivatePEM), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    static func es256(_ claims: TokenClaims = claims()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: TestKeys.ecPrivatePEM))
        return try await keys.sign(claims)
    }

    /// A token with an arbitrary header and signature, built by hand.
    static func raw(header: String, claims: TokenClaims = claims(), signature: [UInt8] = []) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = try encoder.encode(claims)
        return base64URL(Array(header.utf8)) + "." + base64URL(Array(payload)) + "." + base64URL(signature)
    }

    /// An HS256 token whose HMAC key is `rawKey` (used for the RS256 public-key-as-secret attack).
    static func hs256(_ claims: TokenClaims = claims(), rawKey: [UInt8]) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: rawKey), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func verifier(
        _ key: TokenKey = .hs256(secret: secret), issuer: String? = nil, audience: String? = nil,
        cacheCapacity: Int = 16
    ) async throws -> TokenVerifier {
        try await TokenVerifier(
            configuration: .init(key: key, issuer: issuer, audience: audience, cacheCapacity: cacheCapacity))
    }
}
