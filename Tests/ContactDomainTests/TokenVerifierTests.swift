import Foundation
import JWTKit
import Testing

@testable import ContactDomain

@Suite("Token verification: every 401 of docs/contract.md §4")
struct TokenVerifierTests {
    private func verify(
        _ header: String?, with verifier: TokenVerifier? = nil, now: Timestamp = Tokens.now
    ) async throws -> Result<ContactDomain.Principal, AuthFailure> {
        let resolved: TokenVerifier
        if let verifier {
            resolved = verifier
        } else {
            resolved = try await Tokens.verifier()
        }
        return await resolved.verify(authorizationHeader: header, now: now)
    }

    @Test("a valid HS256 token yields the actor")
    func happyPathHS256() async throws {
        let token = try await Tokens.hs256()
        let result = try await verify("Bearer \(token)")
        #expect(
            result
                == .success(
                    ContactDomain.Principal(
                        userID: "user-1", name: "Jane Doe", businessID: Fixtures.businessID, role: .employee,
                        permissions: [.viewContacts, .editContacts])))
    }

    @Test("ES256 and RS256 public keys verify their tokens")
    func asymmetricHappyPaths() async throws {
        let es = try await Tokens.verifier(.es256(publicKeyPEM: TestKeys.ecPublicPEM))
        let rs = try await Tokens.verifier(.rs256(publicKeyPEM: TestKeys.rsaPublicPEM))
        #expect(try await verify("Bearer \(try await Tokens.es256())", with: es).isSuccess)
        #expect(try await verify("Bearer \(try await Tokens.rs256())", with: rs).isSuccess)
    }

    @Test("the scheme is case-insensitive and surrounding spaces are ignored")
    func schemeSpelling() async throws {
        let token = try await Tokens.hs256()
        #expect(try await verify("bearer \(token)").isSuccess)
        #expect(try await verify("  BEARER   \(token)  ").isSuccess)
    }

    @Test("missing header, not Bearer, empty token")
    func headerShape() async throws {
        let token = try await Tokens.hs256()
        #expect(try await verify(nil) == .failure(.missingHeader))
        #expect(try await verify("") == .failure(.notBearer))
        #expect(try await verify(token) == .failure(.notBearer))
        #expect(try await verify("Basic dXNlcjpwYXNz") == .failure(.notBearer))
        #expect(try await verify("Bearer") == .failure(.notBearer))
        #expect(try await verify("Bearer    ") == .failure(.notBearer))
        #expect(try await verify("Token \(token)") == .failure(.notBearer))
    }

    @Test(
        "malformed tokens",
        arguments: [
            "abc", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "..",
            "eyJhbGciOjF9.e30.AA",
        ])
    func malformed(token: String) async throws {
        let result = try await verify("Bearer \(token)")
        #expect(result.failure == .malformedToken || result.failure == .badSignature)
    }

    @Test("claims of the wrong JSON type make the token malformed")
    func wrongClaimTypes() async throws {
        let header = Tokens.base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Tokens.base64URL(Array(#"{"sub":"u","exp":"tomorrow","business_id":"b","role":"owner"}"#.utf8))
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Tokens.secret), digestAlgorithm: .sha256)
        let algorithm = try await keys.getKey()
        let signature = try algorithm.sign(Array("\(header).\(payload)".utf8))
        #expect(
            try await verify("Bearer \(header).\(payload).\(Tokens.base64URL(signature))") == .failure(.malformedToken))
    }

    @Test("a token signed with another secret has a bad signature")
    func wrongSignature() async throws {
        let token = try await Tokens.hs256(secret: "another-secret-0123456789-abcdefghijk")
        #expect(try await verify("Bearer \(token)") == .failure(.badSignature))
        // Change the signature's first character: the last one also carries two padding bits,
        // which lenient base64url decoders ignore, so flipping it may not change the signature.
        let valid = try await Tokens.hs256()
        guard let signatureStart = valid.lastIndex(of: ".").map({ valid.index(after: $0) }) else {
            Issue.record("not a JWS: \(valid)")
            return
        }
        var tampered = valid
        tampered.replaceSubrange(signatureStart...signatureStart, with: valid[signatureStart] == "A" ? "B" : "A")
        #expect(try await verify("Bearer \(tampered)").isSuccess == false)
    }

    @Test("expired: exp at or before now; exp is required; checked against the given now, not the clock")
    func expiry() async throws {
        let atNow = try await Tokens.hs256(Tokens.claims(exp: Tokens.nowSeconds))
        #expect(try await verify("Bearer \(atNow)") == .failure(.expired))
        let past = try await Tokens.hs256(Tokens.claims(exp: Tokens.nowSeconds - 1))
        #expect(try await verify("Bearer \(past)") == .failure(.expired))
        let noExp = try await Tokens.hs256(Tokens.claims(exp: nil))
        #expect(try await verify("Bearer \(noExp)") == .failure(.missingExpiration))
        // Expired by the wall clock (2024), valid at the `now` we pass in.
        let oneSecondLeft = try await Tokens.hs256(Tokens.claims(exp: Tokens.nowSeconds + 1))
        #expect(try await verify("Bearer \(oneSecondLeft)").isSuccess)
        let notYet = try await Tokens.hs256(Tokens.claims(nbf: Tokens.nowSeconds + 60))
        #expect(try await verify("Bearer \(notYet)") == .failure(.expired))
    }

    @Test("alg none is rejected, with or without a signature")
    func algNone() async throws {
        let unsigned = try Tokens.raw(header: #"{"alg":"none","typ":"JWT"}"#)
        #expect(try await verify("Bearer \(unsigned)") == .failure(.algorithmNotAllowed("none")))
        let noneWithSignature = try Tokens.raw(header: #"{"alg":"none"}"#, signature: [1, 2, 3])
        #expect(try await verify("Bearer \(noneWithSignature)") == .failure(.algorithmNotAllowed("none")))
        let rs = try await Tokens.verifier(.rs256(publicKeyPEM: TestKeys.rsaPublicPEM))
        #expect(try await verify("Bearer \(unsigned)", with: rs) == .failure(.algorithmNotAllowed("none")))
    }

    @Test("algorithm confusion: HS256 against an RS/ES key and RS/ES against an HS secret")
    func algorithmConfusion() async throws {
        let rs = try await Tokens.verifier(.rs256(publicKeyPEM: TestKeys.rsaPublicPEM))
        let es = try await Tokens.verifier(.es256(publicKeyPEM: TestKeys.ecPublicPEM))
        // The classic attack: HMAC-sign with the public key's PEM text as the secret.
        let keyAsSecret = try await Tokens.hs256(rawKey: Array(TestKeys.rsaPublicPEM.utf8))
        #expect(try await verify("Bearer \(keyAsSecret)", with: rs) == .failure(.algorithmNotAllowed("HS256")))
        let ecKeyAsSecret = try await Tokens.hs256(rawKey: Array(TestKeys.ecPublicPEM.utf8))
        #expect(try await verify("Bearer \(ecKeyAsSecret)", with: es) == .failure(.algorithmNotAllowed("HS256")))
        #expect(try await verify("Bearer \(try await Tokens.rs256())") == .failure(.algorithmNotAllowed("RS256")))
        #expect(try await verify("Bearer \(try await Tokens.es256())") == .failure(.algorithmNotAllowed("ES256")))
        #expect(
            try await verify("Bearer \(try await Tokens.es256())", with: rs) == .failure(.algorithmNotAllowed("ES256")))
        // Right algorithm name, wrong kind of signature.
        let forged = try Tokens.raw(header: #"{"alg":"RS256"}"#, signature: Array(repeating: 7, count: 256))
        #expect(try await verify("Bearer \(forged)", with: rs) == .failure(.badSignature))
    }

    @Test("issuer and audience are checked when configured, ignored otherwise")
    func issuerAndAudience() async throws {
        let configured = try await Tokens.verifier(issuer: "https://id.example.com", audience: "contact-worker")
        let good = try await Tokens.hs256(
            Tokens.claims(iss: "https://id.example.com", aud: ["other", "contact-worker"]))
        #expect(try await verify("Bearer \(good)", with: configured).isSuccess)
        let wrongIssuer = try await Tokens.hs256(
            Tokens.claims(iss: "https://evil.example.com", aud: ["contact-worker"]))
        #expect(try await verify("Bearer \(wrongIssuer)", with: configured) == .failure(.wrongIssuer))
        let noIssuer = try await Tokens.hs256(Tokens.claims(aud: ["contact-worker"]))
        #expect(try await verify("Bearer \(noIssuer)", with: configured) == .failure(.wrongIssuer))
        let wrongAudience = try await Tokens.hs256(Tokens.claims(iss: "https://id.example.com", aud: ["billing"]))
        #expect(try await verify("Bearer \(wrongAudience)", with: configured) == .failure(.wrongAudience))
        let noAudience = try await Tokens.hs256(Tokens.claims(iss: "https://id.example.com"))
        #expect(try await verify("Bearer \(noAudience)", with: configured) == .failure(.wrongAudience))
        #expect(try await verify("Bearer \(wrongIssuer)").isSuccess)
    }

    @Test("sub, business_id and a known role are required; name falls back to sub")
    func requiredClaims() async throws {
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(sub: nil)))")
                == .failure(.missingClaim("sub")))
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(sub: "")))")
                == .failure(.missingClaim("sub")))
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(businessID: nil)))")
                == .failure(.missingClaim("business_id")))
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(role: nil)))")
                == .failure(.missingClaim("role")))
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(role: "superuser")))")
                == .failure(.unknownRole("superuser")))
        let nameless = try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(name: nil)))")
        #expect(nameless.success?.name == "user-1")
    }

    @Test("sub, name and business_id the worker could not record are a 401: over 255 characters or holding NUL")
    func unusableClaims() async throws {
        let long = String(repeating: "é", count: 256)
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(sub: long)))")
                == .failure(.unusableClaim("sub")))
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(name: "a\u{0}b")))")
                == .failure(.unusableClaim("name")))
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(businessID: long)))")
                == .failure(.unusableClaim("business_id")))
        let longest = String(repeating: "é", count: 255)
        #expect(
            try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(name: longest)))").success?.name == longest)
    }

    @Test("extra permissions add to the role's", arguments: Role.allCases)
    func extraPermissions(role: Role) async throws {
        let token = try await Tokens.hs256(
            Tokens.claims(role: role.rawValue, permissions: ["edit_contacts", "export"]))
        let actor = try #require(try await verify("Bearer \(token)").success)
        #expect(actor.role == role)
        #expect(actor.permissions == role.defaultPermissions.union([.editContacts, Permission(rawValue: "export")]))
    }

    @Test("verified tokens are cached until their exp, then rejected again")
    func cache() async throws {
        let verifier = try await Tokens.verifier(cacheCapacity: 2)
        let token = try await Tokens.hs256(Tokens.claims(exp: Tokens.nowSeconds + 10))
        #expect(try await verify("Bearer \(token)", with: verifier).isSuccess)
        #expect(verifier.cachedTokenCount == 1)
        #expect(try await verify("Bearer \(token)", with: verifier).isSuccess)
        #expect(verifier.cachedTokenCount == 1)
        let later = Timestamp(microsecondsSinceEpoch: Tokens.now.microsecondsSinceEpoch + 10_000_000)
        #expect(try await verify("Bearer \(token)", with: verifier, now: later) == .failure(.expired))
        #expect(verifier.cachedTokenCount == 0)
        for sub in ["a", "b", "c"] {
            #expect(
                try await verify("Bearer \(try await Tokens.hs256(Tokens.claims(sub: sub)))", with: verifier).isSuccess)
        }
        #expect(verifier.cachedTokenCount == 2)
    }

    @Test("spellings of one header verify alike and share the token's one cache entry")
    func cacheSpellings() async throws {
        let verifier = try await Tokens.verifier(cacheCapacity: 2)
        let token = try await Tokens.hs256()
        for header in ["bearer \(token)", "  BEARER   \(token)  ", "Bearer \(token)", "Bearer \(token) "] {
            #expect(try await verify(header, with: verifier).isSuccess)
            #expect(verifier.cachedTokenCount == 1)
        }
        let other = try await Tokens.hs256(Tokens.claims(sub: "other"))
        #expect(try await verify("Bearer \(other)", with: verifier).isSuccess)
        #expect(verifier.cachedTokenCount == 2)
    }

    @Test("a cached token is checked against nbf and exp at each call's now, which may go backwards (replay)")
    func cacheChecksNotBefore() async throws {
        let verifier = try await Tokens.verifier()
        let token = try await Tokens.hs256(Tokens.claims(exp: Tokens.nowSeconds + 3600, nbf: Tokens.nowSeconds))
        func at(_ seconds: Int64) -> Timestamp {
            Timestamp(microsecondsSinceEpoch: Tokens.now.microsecondsSinceEpoch + seconds * 1_000_000)
        }
        #expect(try await verify("Bearer \(token)", with: verifier, now: at(60)).isSuccess)
        #expect(verifier.cachedTokenCount == 1)
        #expect(try await verify("Bearer \(token)", with: verifier, now: at(-1)) == .failure(.expired))
        #expect(try await verify("Bearer \(token)", with: verifier, now: at(0)).isSuccess)
        #expect(try await verify("Bearer \(token)", with: verifier, now: at(3600)) == .failure(.expired))
        #expect(try await verify("Bearer \(token)", with: verifier, now: at(-3600)) == .failure(.expired))
        #expect(try await verify("Bearer \(token)", with: verifier, now: at(3599)).isSuccess)
    }

    @Test("failures are never cached")
    func failuresNotCached() async throws {
        let verifier = try await Tokens.verifier()
        let token = try await Tokens.hs256(Tokens.claims(role: "superuser"))
        #expect(try await verify("Bearer \(token)", with: verifier).isSuccess == false)
        #expect(verifier.cachedTokenCount == 0)
    }

    @Test("unusable keys fail at start with the configuration key named")
    func configurationErrors() async throws {
        await #expect(throws: TokenConfigurationError.secretTooShort(bytes: 6)) {
            try await TokenVerifier(configuration: .init(key: .hs256(secret: "secret")))
        }
        #expect(
            TokenConfigurationError.secretTooShort(bytes: 6).description
                == "JWT_HS256_SECRET: must be at least 32 bytes (got 6)")
        do {
            _ = try await TokenVerifier(configuration: .init(key: .rs256(publicKeyPEM: TestKeys.ecPublicPEM)))
            Issue.record("an EC key must not load as RS256")
        } catch {
            #expect(error.description.hasPrefix("JWT_PUBLIC_KEY_FILE: not a valid RS256 public key in PEM form"))
        }
        await #expect(throws: TokenConfigurationError.self) {
            try await TokenVerifier(configuration: .init(key: .es256(publicKeyPEM: "not a pem")))
        }
        await #expect(throws: TokenConfigurationError.emptyClaimRequirement(claim: "issuer")) {
            try await TokenVerifier(configuration: .init(key: .hs256(secret: Tokens.secret), issuer: ""))
        }
        await #expect(throws: TokenConfigurationError.secretTooShort(bytes: 3)) {
            try await TokenSigner(hs256Secret: "abc")
        }
    }

    @Test("TokenClaims(for:) mints what the verifier turns back into the same actor")
    func mintRoundTrip() async throws {
        let actor = ContactDomain.Principal(userID: "u-9", name: "Sam", businessID: "b-9", role: .manager)
        let token = try await TokenSigner(hs256Secret: Tokens.secret).sign(
            TokenClaims(
                for: actor, expiresAt: Timestamp(microsecondsSinceEpoch: Tokens.now.microsecondsSinceEpoch + 60_000_000)
            ))
        #expect(try await verify("Bearer \(token)") == .success(actor))
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
