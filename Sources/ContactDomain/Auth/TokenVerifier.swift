import Foundation
import JWTKit

/// Verifies the `authorization: Bearer <JWT>` header of a command and turns its claims into an
/// ``Principal`` (docs/contract.md §4, check 1).
///
/// Signature checking is jwt-kit's (`JWTKeyCollection`); everything clock- or policy-related is
/// done here against the caller's `now`, so the outcome is deterministic:
/// - the header's `alg` must be exactly the configured key's algorithm (rejects `none` and
///   HS256/RS256/ES256 confusion before any key is used);
/// - `exp` is required and must be after `now`; `nbf`, if present, must not be after `now`;
/// - `iss` / `aud` must match when configured;
/// - `sub`, `business_id` and a known `role` are required.
///
/// Every failure is an ``AuthFailure``, all answered with the same 401. Verified tokens are cached
/// (bounded, until their `exp`) because the worker sees the same token on many commands; a cached
/// token is still checked against `nbf` and `exp` at each call's `now`.
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

    /// The configuration in force.
    public let configuration: Configuration
    private let keys: JWTKeyCollection
    private let cache: VerifiedTokenCache

    /// Loads the key; fails with a message naming the configuration key when it is unusable.
    public init(configuration: Configuration) async throws(TokenConfigurationError) {
        if configuration.issuer?.isEmpty == true { throw .emptyClaimRequirement(claim: "issuer") }
        if configuration.audience?.isEmpty == true { throw .emptyClaimRequirement(claim: "audience") }
        let keys = JWTKeyCollection()
        switch configuration.key {
        case .hs256(let secret):
            guard secret.count >= TokenKey.minimumSecretBytes else { throw .secretTooShort(bytes: secret.count) }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        case .es256(let pem):
            do {
                await keys.add(ecdsa: try ES256PublicKey(pem: pem))
            } catch {
                throw .invalidPublicKey(algorithm: "ES256", underlying: String(describing: error))
            }
        case .rs256(let pem):
            do {
                await keys.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: .sha256)
            } catch {
                throw .invalidPublicKey(algorithm: "RS256", underlying: String(describing: error))
            }
        }
        self.configuration = configuration
        self.keys = keys
        self.cache = VerifiedTokenCache(capacity: configuration.cacheCapacity)
    }

    /// Verifies the `authorization` header value at instant `now`.
    public func verify(authorizationHeader: String?, now: Timestamp) async -> Result<Principal, AuthFailure> {
        guard let header = authorizationHeader else { return .failure(.missingHeader) }
        guard let token = Self.bearerToken(in: header) else { return .failure(.notBearer) }
        let nowSeconds = Double(now.microsecondsSinceEpoch) / 1_000_000
        if let actor = cache.actor(for: token, now: nowSeconds) {
            return .success(actor)
        }
        switch await verifyToken(token, now: nowSeconds) {
        case .success(let verified):
            cache.insert(
                token: token, actor: verified.actor, notBefore: verified.notBefore, expiresAt: verified.expiresAt,
                now: nowSeconds)
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

    private func verifyToken(_ token: String, now: Double) async -> Result<VerifiedToken, AuthFailure> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = Self.base64URLDecode(parts[0]),
            let header = try? JSONValue.parse(headerBytes),
            let alg = header["alg"]?.stringValue
        else { return .failure(.malformedToken) }
        guard alg == configuration.key.algorithmName else { return .failure(.algorithmNotAllowed(alg)) }

        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            return .failure(.badSignature)
        } catch {
            return .failure(.malformedToken)
        }

        guard let exp = claims.exp else { return .failure(.missingExpiration) }
        guard now < exp else { return .failure(.expired) }
        if let nbf = claims.nbf, now < nbf { return .failure(.expired) }
        if let issuer = configuration.issuer, claims.iss != issuer { return .failure(.wrongIssuer) }
        if let audience = configuration.audience, claims.aud?.value.contains(audience) != true {
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
