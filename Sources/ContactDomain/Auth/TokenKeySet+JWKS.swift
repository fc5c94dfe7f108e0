import Foundation
import JWTKit

extension TokenKeySet {
    /// A named set from a JWKS document (RFC 7517 §5) as identity providers publish it.
    ///
    /// Which keys are used:
    /// - `kty: RSA` with `alg` `RS256` or none (RS256 is the only RSA algorithm verified here), at
    ///   least 2048 bits;
    /// - `kty: EC` on `crv: P-256` with `alg` `ES256` or none;
    /// - `kty: oct` only with `alg: HS256`: a shared secret is a key for one algorithm only when the
    ///   publisher says so, and at least ``TokenKey/minimumSecretBytes`` long.
    ///
    /// Other keys (`use` other than `sig`, other algorithms, curves or key types) are listed in
    /// ``ignored`` and not used. A key this worker would use but cannot (missing or bad numbers,
    /// a short RSA modulus or secret, a private key, a `kid` used twice) fails the whole document:
    /// a half-loaded set would silently drop a key tokens are signed with. A document without any
    /// usable key fails too.
    ///
    /// RSA and EC keys are decoded and built by jwt-kit (`JWK`); jwt-kit 5's `JWK` has no `oct`
    /// key type, so for those only the base64url `k` is decoded here and handed to jwt-kit's HMAC.
    public static func fromJWKS(_ bytes: [UInt8]) async throws(TokenConfigurationError) -> TokenKeySet {
        func invalid(_ reason: String) -> TokenConfigurationError { .invalidJWKS(reason: reason) }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw invalid("not JSON (\(error))")
        }
        guard let entries = document["keys"]?.arrayValue else {
            throw invalid("not a JWKS: expected an object with a \"keys\" array")
        }
        var keys: [Key] = []
        var ignored: [String] = []
        for (index, entry) in entries.enumerated() {
            guard entry.objectMembers != nil else { throw invalid("key #\(index + 1) is not an object") }
            let keyID = entry["kid"]?.stringValue
            if entry["kid"] != nil, keyID == nil { throw invalid("key #\(index + 1): kid is not a string") }
            let label = keyID.map { "key \"\($0)\"" } ?? "key #\(index + 1) (no kid)"
            let keyType = entry["kty"]?.stringValue
            let algorithm = entry["alg"]?.stringValue
            if let use = entry["use"]?.stringValue, use != "sig" {
                ignored.append("\(label): use \"\(use)\" is not signing")
                continue
            }
            let chosen: String
            switch (keyType, algorithm) {
            case ("RSA", nil), ("RSA", "RS256"): chosen = "RS256"
            case ("EC", nil), ("EC", "ES256"):
                guard entry["crv"]?.stringValue == "P-256" else {
                    ignored.append("\(label): EC curve \(entry["crv"]?.stringValue ?? "(none)") is not P-256")
                    continue
                }
                chosen = "ES256"
            case ("oct", "HS256"): chosen = "HS256"
            case ("oct", _):
                ignored.append("\(label): an oct key is used only when it says \"alg\":\"HS256\"")
                continue
            case (nil, _):
                throw invalid("\(label) has no kty")
            case (let type?, let alg):
                ignored.append("\(label): kty \(type) with alg \(alg ?? "(none)") is not verified by this worker")
                continue
            }
            if let keyID, keys.contains(where: { $0.id == keyID }) {
                throw invalid("kid \"\(keyID)\" names two keys; each key needs its own kid")
            }
            if entry["d"] != nil {
                throw invalid("\(label) holds a private key (d); a JWKS for verification holds public keys only")
            }
            let collection = JWTKeyCollection()
            if chosen == "HS256" {
                guard let encoded = entry["k"]?.stringValue,
                    let secret = TokenVerifier.base64URLDecode(Substring(encoded))
                else { throw invalid("\(label): k is missing or not base64url") }
                guard secret.count >= TokenKey.minimumSecretBytes else {
                    throw invalid(
                        "\(label): the HS256 secret must be at least \(TokenKey.minimumSecretBytes) bytes (got \(secret.count))"
                    )
                }
                await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            } else {
                do {
                    var jwk = try JSONDecoder().decode(JWK.self, from: Data(entry.encoded()))
                    jwk.algorithm = chosen == "RS256" ? .rs256 : .es256
                    // jwt-kit files every JWK under a kid; one without gets a name no token can
                    // carry to it, since selection by kid happens in ``candidates(algorithm:keyID:)``.
                    if jwk.keyIdentifier == nil { jwk.keyIdentifier = JWKIdentifier(string: "#\(index + 1)") }
                    try await collection.add(jwk: jwk)
                } catch {
                    throw invalid("\(label) is not a usable \(chosen) key (\(error))")
                }
            }
            keys.append(Key(id: keyID, algorithm: chosen, collection: collection))
        }
        guard !keys.isEmpty else { throw .noKeys(source: "JWT_JWKS_FILE", ignored: ignored) }
        return TokenKeySet(keys: keys, selectsByKeyID: true, ignored: ignored)
    }
}
