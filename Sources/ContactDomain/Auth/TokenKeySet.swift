import JWTKit

/// The keys tokens are verified with at one moment, and the rule that picks a token's key.
///
/// Two kinds of set, chosen by where the keys come from:
/// - **Named** (a JWKS, ``fromJWKS(_:)``): the token's `kid` selects the key, and the token's `alg`
///   must be that key's algorithm, so a token naming an RSA key's `kid` with `alg: HS256` is
///   refused before any signature is computed. A token without `kid` is tried only when the set
///   holds exactly one key of its `alg`: with several, which one was meant is a guess, and guessing
///   lets an old key keep working after it should not.
/// - **Unnamed** (``init(keys:)``: one public key, or HS256 secrets current first): the token's
///   `kid` is not consulted; it is tried against every key of its `alg`, in order, so a token
///   signed with a previous secret still verifies while the secret is listed.
///
/// A set is immutable; ``TokenKeyRing`` swaps whole sets on reload.
public struct TokenKeySet: Sendable {
    /// One verification key.
    public struct Key: Sendable {
        /// The JWK `kid`, or nil for a key without one (all keys of an unnamed set).
        public let id: String?
        /// The only `alg` this key verifies (`HS256`, `ES256`, `RS256`).
        public let algorithm: String
        /// A collection holding exactly this key, as its default: jwt-kit falls back to the
        /// default key for a `kid` it does not know, so one collection per key keeps the choice
        /// of key here, with the rules above.
        let collection: JWTKeyCollection
    }

    /// The keys, in the order they are tried (current first for HS256 secrets, file order for a JWKS).
    public let keys: [Key]
    /// Whether the token's `kid` selects the key (a JWKS).
    public let selectsByKeyID: Bool
    /// Keys of the source that are not used, each with the reason (for the logs): a JWKS may
    /// hold encryption keys or algorithms this worker does not verify.
    public let ignored: [String]

    /// An unnamed set from configured keys (``TokenKey``): one public key, or HS256 secrets
    /// current first.
    public init(keys: [TokenKey]) async throws(TokenConfigurationError) {
        var loaded: [Key] = []
        for key in keys {
            let collection = JWTKeyCollection()
            switch key {
            case .hs256(let secret):
                guard secret.count >= TokenKey.minimumSecretBytes else { throw .secretTooShort(bytes: secret.count) }
                await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            case .es256(let pem):
                do {
                    await collection.add(ecdsa: try ES256PublicKey(pem: pem))
                } catch {
                    throw .invalidPublicKey(algorithm: "ES256", underlying: String(describing: error))
                }
            case .rs256(let pem):
                do {
                    await collection.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: .sha256)
                } catch {
                    throw .invalidPublicKey(algorithm: "RS256", underlying: String(describing: error))
                }
            }
            loaded.append(Key(id: nil, algorithm: key.algorithmName, collection: collection))
        }
        guard !loaded.isEmpty else { throw .noKeys(source: "token key settings", ignored: []) }
        self.init(keys: loaded, selectsByKeyID: false, ignored: [])
    }

    init(keys: [Key], selectsByKeyID: Bool, ignored: [String]) {
        self.keys = keys
        self.selectsByKeyID = selectsByKeyID
        self.ignored = ignored
    }

    /// The keys a token with header `alg` and `kid` is tried against, in order; never empty on
    /// success.
    func candidates(algorithm: String, keyID: String?) -> Result<[Key], AuthFailure> {
        guard selectsByKeyID else {
            let matching = keys.filter { $0.algorithm == algorithm }
            return matching.isEmpty ? .failure(.algorithmNotAllowed(algorithm)) : .success(matching)
        }
        if let keyID {
            guard let key = keys.first(where: { $0.id == keyID }) else { return .failure(.unknownKeyID(keyID)) }
            guard key.algorithm == algorithm else { return .failure(.algorithmNotAllowed(algorithm)) }
            return .success([key])
        }
        let matching = keys.filter { $0.algorithm == algorithm }
        switch matching.count {
        case 0: return .failure(.algorithmNotAllowed(algorithm))
        case 1: return .success(matching)
        default: return .failure(.keyIDRequired(algorithm))
        }
    }

    /// `kid (alg)` of every key, for logs: `a1 (ES256), b2 (RS256)`; `HS256 ×2` for unnamed keys.
    public var summary: String {
        if selectsByKeyID {
            return keys.map { "\($0.id ?? "no kid") (\($0.algorithm))" }.joined(separator: ", ")
        }
        var counts: [(String, Int)] = []
        for key in keys {
            if let index = counts.firstIndex(where: { $0.0 == key.algorithm }) {
                counts[index].1 += 1
            } else {
                counts.append((key.algorithm, 1))
            }
        }
        return counts.map { $0.1 == 1 ? $0.0 : "\($0.0) ×\($0.1)" }.joined(separator: ", ")
    }
}
