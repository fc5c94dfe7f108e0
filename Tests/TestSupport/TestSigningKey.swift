import Foundation
import JWTKit

/// A signing key of a test's own with its public JWK, for writing JWKS documents and minting
/// tokens those documents verify.
public struct TestSigningKey: Sendable {
    /// The `kid` the JWK carries (nil: none).
    public let kid: String?
    /// The JWS `alg` the key signs with.
    public let algorithm: String
    /// The public JWK as JSON text (the `oct` key's secret for HS256).
    public let jwk: String
    private let keys: JWTKeyCollection

    /// A fresh P-256 key; `jwkAlgorithm` is the JWK's `alg` (nil leaves it out).
    public static func es256(kid: String?, jwkAlgorithm: String? = "ES256") async throws -> TestSigningKey {
        let key = ES256PrivateKey()
        guard let parameters = key.publicKey.parameters else {
            throw TestKeyError(description: "the generated P-256 key has no coordinates")
        }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key)
        return TestSigningKey(
            kid: kid, algorithm: "ES256",
            jwk: jwkText(
                ["kty": "EC", "crv": "P-256", "use": "sig", "x": parameters.x, "y": parameters.y], kid: kid,
                alg: jwkAlgorithm),
            keys: keys)
    }

    /// The RSA key of `privateKeyPEM`.
    public static func rs256(
        kid: String?, privateKeyPEM: String, jwkAlgorithm: String? = "RS256"
    ) async throws -> TestSigningKey {
        let key = try Insecure.RSA.PrivateKey(pem: privateKeyPEM)
        let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
        let keys = JWTKeyCollection()
        await keys.add(rsa: key, digestAlgorithm: .sha256)
        return TestSigningKey(
            kid: kid, algorithm: "RS256",
            jwk: jwkText(
                ["kty": "RSA", "n": base64URL(Array(modulus)), "e": base64URL(Array(exponent))], kid: kid,
                alg: jwkAlgorithm),
            keys: keys)
    }

    /// An HS256 shared secret as an `oct` JWK.
    public static func hs256(kid: String?, secret: [UInt8], jwkAlgorithm: String? = "HS256") async -> TestSigningKey {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return TestSigningKey(
            kid: kid, algorithm: "HS256",
            jwk: jwkText(["kty": "oct", "k": base64URL(secret)], kid: kid, alg: jwkAlgorithm),
            keys: keys)
    }

    /// A token of `claims` signed with this key; its header carries `kid` (this key's, by default;
    /// nil for none).
    public func sign(_ claims: some JWTPayload, kid: String?? = .none) async throws -> String {
        let headerKid = kid ?? self.kid
        return try await keys.sign(claims, kid: headerKid.map { JWKIdentifier(string: $0) })
    }

    /// A JWKS document holding `keys`' public JWKs (and `extra` JWK texts), in order.
    public static func jwks(_ keys: [TestSigningKey], extra: [String] = []) -> String {
        #"{"keys":["# + (keys.map(\.jwk) + extra).joined(separator: ",") + "]}"
    }

    /// Unpadded base64url (RFC 4648 §5).
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func jwkText(_ members: [String: String], kid: String?, alg: String?) -> String {
        var members = members
        if let kid { members["kid"] = kid }
        if let alg { members["alg"] = alg }
        let encoded = (try? JSONEncoder().encode(members)).map { String(decoding: $0, as: UTF8.self) }
        return encoded ?? "{}"
    }
}

/// A test key could not be made.
public struct TestKeyError: Error, CustomStringConvertible {
    public let description: String
}
