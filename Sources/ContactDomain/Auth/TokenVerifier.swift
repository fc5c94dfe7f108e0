import Foundation
import JWTKit

/// Verifies the `authorization: Bearer <JWT>` header of a command and turns its claims into an
/// ``Principal`` (docs/contract.md §4, check 1).
///
/// Signature checking is jwt-kit's (`JWTKeyCollection`); everything clock- or policy-related is
/// done here against the caller's `now`, so the outcome is deterministic:
/// - the key comes from the ``TokenKeySet`` in force (``TokenKeyRing``): chosen by the header's
///   `kid` in a JWKS, and the header's `alg` must be exactly that key's algorithm (rejects `none`
///   and HS256/RS256/ES256 confusion, including an RSA key's `kid` with `alg: HS256`, before any
///   key is used);
/// - `exp` is required and must be after `now`; `nbf`, if present, must not be after `now`;
/// - `iss` / `aud` must match when configured;
/// - `sub`, `business_id` and a known `role` are required.
///
/// Every failure is an ``AuthFailure``, all answered with the same 401. Verified tokens are cached
/// (bounded, until their `exp`) because the worker sees the same token on many commands; a cached
/// token is still checked against `nbf` and `exp` at each call's `now`, and is used only under the
/// key generation it verified with, so a reload that removes its key refuses it.
public struct TokenVerifier: Sendable {
    /// What to verify tokens against.
    public struct Configuration: Sendable, Hashable {
        /// The verification key, which also fixes the only accepted algorithm.
        public var key: TokenKey
        /// Required `iss`, if set (`JWT_ISSUER`).
        public var issuer: String?
        /// Required member of `aud`, if set (`JWT_AUDIENCE`).
        public var audience: String?
        /// How many verified tokens to remember; 0 disables the cache.
        public var cacheCapacity: Int

        /// Creates a configuration.
        public init(key: TokenKey, issuer: String? = nil, audience: String? = nil, cacheCapacity: Int = 1024) {
            self.key = key
            self.issuer = issuer
            self.audience = audience
            self.cacheCapacity = cacheCapacity
        }
    }

    /// The keys in force; a reload replaces the set inside (``TokenKeyRing``).
    public let keyRing: TokenKeyRing
    private let issuer: String?
    private let audience: String?
    private let cache: VerifiedTokenCache

    /// Loads the one configured key; fails with a message naming the configuration key when it
    /// is unusable.
    public init(configuration: Configuration) async throws(TokenConfigurationError) {
        try self.init(
            keyRing: TokenKeyRing(try await TokenKeySet(keys: [configuration.key])), issuer: configuration.issuer,
            audience: configuration.audience, cacheCapacity: configuration.cacheCapacity)
    }

    /// Verifies with the key set in `keyRing`, which may be replaced while the verifier is in use.
    ///
    /// - Parameters:
    ///   - issuer: required `iss`, if set (`JWT_ISSUER`).
    ///   - audience: required member of `aud`, if set (`JWT_AUDIENCE`).
    ///   - cacheCapacity: how many verified tokens to remember; 0 disables the cache.
    public init(
        keyRing: TokenKeyRing, issuer: String? = nil, audience: String? = nil, cacheCapacity: Int = 1024
    ) throws(TokenConfigurationError) {
        if issuer?.isEmpty == true { throw .emptyClaimRequirement(claim: "issuer") }
        if audience?.isEmpty == true { throw .emptyClaimRequirement(claim: "audience") }
        self.keyRing = keyRing
        self.issuer = issuer
        self.audience = audience
        self.cache = VerifiedTokenCache(capacity: cacheCapacity)
    }

    /// Verifies the `authorization` header value at instant `now`.
    public func verify(authorizationHeader: String?, now: Timestamp) async -> Result<Principal, AuthFailure> {
        guard let header = authorizationHeader else { return .failure(.missingHeader) }
        let nowSeconds = Double(now.microsecondsSinceEpoch) / 1_000_000
        let keys = keyRing.current
        // A token is cached under its header spelled `Bearer <token>`, the spelling senders use,
        // and looked up by the header as sent: a hit needs neither the scheme check nor a copy of
        // the token. Any other spelling misses and is verified each time, so spellings of one
        // token cannot fill the cache.
        if let actor = cache.actor(for: header, now: nowSeconds, generation: keys.generation) {
            return .success(actor)
        }
        guard let token = Self.bearerToken(in: header) else { return .failure(.notBearer) }
        switch await verifyToken(token, keys: keys.keys, now: nowSeconds) {
        case .success(let verified):
            cache.insert(
                key: "Bearer " + token, actor: verified.actor, notBefore: verified.notBefore,
                expiresAt: verified.expiresAt, now: nowSeconds, generation: keys.generation)
            return .success(verified.actor)
        case .failure(let failure):
            return .failure(failure)
        }
    }

    /// The number of verified tokens currently cached.
    public var cachedTokenCount: Int { cache.count }

    // MARK: - Steps

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 7235), or `nil`.
    static func bearerToken(in header: String) -> String? {
        let trimmed = header.trimmingWhitespace
        let scheme = "bearer "
        guard trimmed.utf8.count > scheme.utf8.count,
            trimmed.prefix(scheme.count).lowercased() == scheme
        else { return nil }
        let token = String(trimmed.dropFirst(scheme.count)).trimmingWhitespace
        return token.isEmpty ? nil : token
    }

    /// A token that verified at some `now`, with the validity window the cache re-checks.
    private struct VerifiedToken {
        var actor: Principal
        var notBefore: Double?
        var expiresAt: Double
    }

    private func verifyToken(
        _ token: String, keys: TokenKeySet, now: Double
    ) async -> Result<VerifiedToken, AuthFailure> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = Self.base64URLDecode(parts[0]),
            let header = try? JSONValue.parse(headerBytes),
            let alg = header["alg"]?.stringValue
        else { return .failure(.malformedToken) }
        if let kid = header["kid"], kid.stringValue == nil { return .failure(.malformedToken) }
        let candidates: [TokenKeySet.Key]
        switch keys.candidates(algorithm: alg, keyID: header["kid"]?.stringValue) {
        case .success(let found): candidates = found
        case .failure(let failure): return .failure(failure)
        }

        // Keys are tried in order (an unnamed set's HS256 secrets, current first); the first
        // that verifies the signature decides. A token no key verifies answers badSignature
        // unless one of them found it malformed.
        var claimsFound: TokenClaims?
        var failure = AuthFailure.badSignature
        for key in candidates {
            do {
                claimsFound = try await key.collection.verify(token, as: TokenClaims.self)
                break
            } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
                continue
            } catch {
                failure = .malformedToken
            }
        }
        guard let claims = claimsFound else { return .failure(failure) }

        guard let exp = claims.exp else { return .failure(.missingExpiration) }
        guard now < exp else { return .failure(.expired) }
        if let nbf = claims.nbf, now < nbf { return .failure(.expired) }
        if let issuer, claims.iss != issuer { return .failure(.wrongIssuer) }
        if let audience, claims.aud?.value.contains(audience) != true {
            return .failure(.wrongAudience)
        }
        guard let sub = claims.sub, !sub.isEmpty else { return .failure(.missingClaim("sub")) }
        guard let businessID = claims.businessID, !businessID.isEmpty else {
            return .failure(.missingClaim("business_id"))
        }
        guard let roleName = claims.role else { return .failure(.missingClaim("role")) }
        guard let role = Role(rawValue: roleName) else { return .failure(.unknownRole(roleName)) }

        let extra = (claims.permissions ?? []).map(Permission.init(rawValue:))
        let name = claims.name.flatMap { $0.isEmpty ? nil : $0 } ?? sub
        for (claim, value) in [("sub", sub), ("name", name), ("business_id", businessID)]
        where !FieldLimits.isStorableClaim(value) {
            return .failure(.unusableClaim(claim))
        }
        let actor = Principal(
            userID: sub, name: name, businessID: businessID, role: role,
            permissions: role.defaultPermissions.union(extra))
        return .success(VerifiedToken(actor: actor, notBefore: claims.nbf, expiresAt: exp))
    }

    /// Decodes unpadded base64url (RFC 4648 §5), or `nil`.
    static func base64URLDecode(_ text: Substring) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        switch base64.utf8.count % 4 {
        case 0: break
        case 2: base64 += "=="
        case 3: base64 += "="
        default: return nil
        }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
