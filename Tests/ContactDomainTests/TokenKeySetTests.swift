import ContactWorkerTestSupport
import Foundation
import JWTKit
import Testing

@testable import ContactDomain

@Suite("Token key sets: JWKS selection by kid, HS256 secret lists, reloads")
struct TokenKeySetTests {
    private func verifier(jwks: String) async throws -> TokenVerifier {
        try TokenVerifier(keyRing: TokenKeyRing(try await TokenKeySet.fromJWKS(Array(jwks.utf8))), cacheCapacity: 16)
    }

    private func verify(_ token: String, with verifier: TokenVerifier) async -> Result<Principal, AuthFailure> {
        await verifier.verify(authorizationHeader: "Bearer \(token)", now: Tokens.now)
    }

    private func jwksError(_ jwks: String) async -> String? {
        do {
            _ = try await TokenKeySet.fromJWKS(Array(jwks.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    @Test("the token's kid selects the key; an unknown kid or another key's kid is refused")
    func kidSelectsTheKey() async throws {
        let a = try await TestSigningKey.es256(kid: "a")
        let b = try await TestSigningKey.es256(kid: "b")
        let r = try await TestSigningKey.rs256(kid: "r", privateKeyPEM: TestKeys.rsaPrivatePEM)
        let verifier = try await verifier(jwks: TestSigningKey.jwks([a, b, r]))
        for key in [a, b, r] {
            #expect(await verify(try await key.sign(Tokens.claims()), with: verifier).isSuccess)
        }
        #expect(await verify(try await a.sign(Tokens.claims(), kid: "b"), with: verifier) == .failure(.badSignature))
        #expect(
            await verify(try await a.sign(Tokens.claims(), kid: "zz"), with: verifier) == .failure(.unknownKeyID("zz")))
    }

    @Test("a token without kid is tried only when the set holds exactly one key of its alg")
    func noKidNeedsASingleKeyOfItsAlgorithm() async throws {
        let a = try await TestSigningKey.es256(kid: "a")
        let b = try await TestSigningKey.es256(kid: "b")
        let r = try await TestSigningKey.rs256(kid: "r", privateKeyPEM: TestKeys.rsaPrivatePEM)
        let oneEach = try await verifier(jwks: TestSigningKey.jwks([a, r]))
        #expect(await verify(try await a.sign(Tokens.claims(), kid: .some(nil)), with: oneEach).isSuccess)
        #expect(await verify(try await r.sign(Tokens.claims(), kid: .some(nil)), with: oneEach).isSuccess)

        let twoEC = try await verifier(jwks: TestSigningKey.jwks([a, b]))
        #expect(
            await verify(try await a.sign(Tokens.claims(), kid: .some(nil)), with: twoEC)
                == .failure(.keyIDRequired("ES256")))
        #expect(
            await verify(try await r.sign(Tokens.claims(), kid: .some(nil)), with: twoEC)
                == .failure(.algorithmNotAllowed("RS256")))
        // A key without kid in the file serves tokens without kid, and no kid reaches it.
        let unnamed = try await TestSigningKey.es256(kid: nil)
        let withUnnamed = try await verifier(jwks: TestSigningKey.jwks([unnamed, r]))
        #expect(await verify(try await unnamed.sign(Tokens.claims()), with: withUnnamed).isSuccess)
        #expect(
            await verify(try await unnamed.sign(Tokens.claims(), kid: "#1"), with: withUnnamed)
                == .failure(.unknownKeyID("#1")))
    }

    @Test("kid confusion: an RSA key's kid with alg HS256 (or none) is refused before any key is used")
    func kidConfusionIsRefused() async throws {
        let r = try await TestSigningKey.rs256(kid: "r", privateKeyPEM: TestKeys.rsaPrivatePEM)
        let verifier = try await verifier(jwks: TestSigningKey.jwks([r]))
        // The classic attack: the public key's bytes used as an HMAC secret.
        for secret in [Array(TestKeys.rsaPublicPEM.utf8), Array(r.jwk.utf8)] {
            let forged = await TestSigningKey.hs256(kid: "r", secret: secret)
            #expect(
                await verify(try await forged.sign(Tokens.claims()), with: verifier)
                    == .failure(.algorithmNotAllowed("HS256")))
        }
        let unsigned = try Tokens.raw(header: #"{"alg":"none","kid":"r"}"#)
        #expect(await verify(unsigned, with: verifier) == .failure(.algorithmNotAllowed("none")))
        let numericKid = try Tokens.raw(header: #"{"alg":"RS256","kid":7}"#)
        #expect(await verify(numericKid, with: verifier) == .failure(.malformedToken))
    }

    @Test("an oct key is used only with alg HS256; without it the key is ignored and its kid unknown")
    func octKeysNeedAlgHS256() async throws {
        let secret = Array("jwks-shared-secret-0123456789-abcdefgh".utf8)
        let a = try await TestSigningKey.es256(kid: "a")
        let marked = await TestSigningKey.hs256(kid: "s1", secret: secret)
        let unmarked = await TestSigningKey.hs256(kid: "s2", secret: secret, jwkAlgorithm: nil)
        let keys = try await TokenKeySet.fromJWKS(Array(TestSigningKey.jwks([a, marked, unmarked]).utf8))
        #expect(keys.keys.map(\.id) == ["a", "s1"])
        #expect(keys.ignored == [#"key "s2": an oct key is used only when it says "alg":"HS256""#])
        let verifier = try TokenVerifier(keyRing: TokenKeyRing(keys))
        #expect(await verify(try await marked.sign(Tokens.claims()), with: verifier).isSuccess)
        #expect(await verify(try await unmarked.sign(Tokens.claims()), with: verifier) == .failure(.unknownKeyID("s2")))
        #expect(
            await jwksError(TestSigningKey.jwks([unmarked]))
                == #"JWT_JWKS_FILE: no key to verify tokens with (ES256 on P-256, RS256, or oct with "alg":"HS256"); ignored: key "s2": an oct key is used only when it says "alg":"HS256""#
        )
    }

    @Test("keys for encryption, other algorithms and curves are ignored; keys the worker cannot use fail the file")
    func unusableDocuments() async throws {
        let a = try await TestSigningKey.es256(kid: "a")
        let keys = try await TokenKeySet.fromJWKS(
            Array(
                TestSigningKey.jwks(
                    [a],
                    extra: [
                        #"{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}"#,
                        #"{"kty":"RSA","kid":"ps","alg":"PS256","n":"AQAB","e":"AQAB"}"#,
                        #"{"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"}"#,
                        #"{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"AA"}"#,
                    ]
                ).utf8))
        #expect(keys.keys.map(\.id) == ["a"])
        #expect(keys.ignored.count == 4)

        #expect(await jwksError("not json") == "JWT_JWKS_FILE: not JSON (\(jsonError("not json")))")
        #expect(
            await jwksError(#"{"kty":"EC"}"#) == #"JWT_JWKS_FILE: not a JWKS: expected an object with a "keys" array"#)
        #expect(
            await jwksError(TestSigningKey.jwks([a, a]))
                == #"JWT_JWKS_FILE: kid "a" names two keys; each key needs its own kid"#)
        // Written by hand: jwt-kit refuses to make an HMAC key this short.
        let short = #"{"kty":"oct","kid":"s","alg":"HS256","k":"\#(TestSigningKey.base64URL(Array("short".utf8)))"}"#
        #expect(
            await jwksError(TestSigningKey.jwks([], extra: [short]))
                == #"JWT_JWKS_FILE: key "s": the HS256 secret must be at least 32 bytes (got 5)"#)
        let missingModulus = try #require(await jwksError(#"{"keys":[{"kty":"RSA","kid":"r","e":"AQAB"}]}"#))
        #expect(missingModulus.hasPrefix(#"JWT_JWKS_FILE: key "r" is not a usable RS256 key ("#))
        let privateKey = try #require(
            await jwksError(#"{"keys":[{"kty":"EC","kid":"p","crv":"P-256","x":"AA","y":"AA","d":"AA"}]}"#))
        #expect(
            privateKey
                == #"JWT_JWKS_FILE: key "p" holds a private key (d); a JWKS for verification holds public keys only"#)
    }

    private func jsonError(_ text: String) -> String {
        do {
            _ = try JSONValue.parse(Array(text.utf8))
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("after a reload a removed key's token is refused, even though it was cached")
    func removedKeyIsRefusedAfterReload() async throws {
        let a = try await TestSigningKey.es256(kid: "a")
        let b = try await TestSigningKey.es256(kid: "b")
        let verifier = try await verifier(jwks: TestSigningKey.jwks([a, b]))
        let tokenA = try await a.sign(Tokens.claims())
        let tokenB = try await b.sign(Tokens.claims())
        #expect(await verify(tokenA, with: verifier).isSuccess)
        #expect(await verify(tokenB, with: verifier).isSuccess)
        #expect(verifier.cachedTokenCount == 2)

        verifier.keyRing.replace(with: try await TokenKeySet.fromJWKS(Array(TestSigningKey.jwks([b]).utf8)))
        #expect(await verify(tokenA, with: verifier) == .failure(.unknownKeyID("a")))
        #expect(await verify(tokenB, with: verifier).isSuccess)
    }

    @Test("the cache answers only under the key generation a token verified with")
    func cacheIsKeyedByGeneration() {
        let cache = VerifiedTokenCache(capacity: 4)
        let actor = Principal(userID: "u", businessID: "b", role: .owner)
        // Verified under generation 0 but inserted after a reload to generation 1 (a verification
        // that was running while the keys changed): not an answer under generation 1.
        cache.insert(key: "t", actor: actor, notBefore: nil, expiresAt: 100, now: 0, generation: 0)
        #expect(cache.actor(for: "t", now: 1, generation: 1) == nil)
        #expect(cache.actor(for: "t", now: 1, generation: 0) == nil)
        cache.insert(key: "t", actor: actor, notBefore: nil, expiresAt: 100, now: 0, generation: 1)
        #expect(cache.actor(for: "t", now: 1, generation: 1) == actor)
    }

    @Test("the cache tells keys apart by all their bytes: a shared tail, or canonically equal text, is another key")
    func cacheKeysAreBytes() {
        let cache = VerifiedTokenCache(capacity: 4)
        let first = Principal(userID: "first", businessID: "b", role: .owner)
        let second = Principal(userID: "second", businessID: "b", role: .owner)
        let tail = String(repeating: "s", count: 40)
        // Equal length and equal last 32 bytes: the same hash, different keys.
        cache.insert(key: "Bearer A." + tail, actor: first, notBefore: nil, expiresAt: 100, now: 0, generation: 0)
        cache.insert(key: "Bearer B." + tail, actor: second, notBefore: nil, expiresAt: 100, now: 0, generation: 0)
        #expect(cache.actor(for: "Bearer A." + tail, now: 1, generation: 0) == first)
        #expect(cache.actor(for: "Bearer B." + tail, now: 1, generation: 0) == second)
        #expect(cache.actor(for: "Bearer C." + tail, now: 1, generation: 0) == nil)
        // Two orders of the same combining marks: canonically equivalent (`String`'s == holds them
        // equal), of one length and with one tail, so they hash alike and only bytes tell them apart.
        let (marksAB, marksBA) = ("Bearer a\u{301}\u{323}." + tail, "Bearer a\u{323}\u{301}." + tail)
        #expect(marksAB == marksBA && marksAB.utf8.count == marksBA.utf8.count)
        cache.insert(key: marksAB, actor: first, notBefore: nil, expiresAt: 100, now: 0, generation: 0)
        #expect(cache.actor(for: marksBA, now: 1, generation: 0) == nil)
        #expect(cache.actor(for: marksAB, now: 1, generation: 0) == first)
        #expect(cache.count == 3)
    }

    @Test("HS256 secrets, current first: a token of any listed secret verifies, of another one not")
    func secretList() async throws {
        let current = "current-secret-0123456789-abcdefghijkl"
        let previous = "previous-secret-0123456789-abcdefghijk"
        let keys = try await TokenKeySet(keys: [.hs256(secret: current), .hs256(secret: previous)])
        #expect(keys.summary == "HS256 ×2")
        let verifier = try TokenVerifier(keyRing: TokenKeyRing(keys))
        for secret in [current, previous] {
            #expect(await verify(try await Tokens.hs256(secret: secret), with: verifier).isSuccess)
        }
        #expect(await verify(try await Tokens.hs256(secret: Tokens.secret), with: verifier) == .failure(.badSignature))
        // A kid is not consulted for configured secrets (they have none).
        let withKid = await TestSigningKey.hs256(kid: "x", secret: Array(previous.utf8))
        #expect(await verify(try await withKid.sign(Tokens.claims()), with: verifier).isSuccess)
        await #expect(throws: TokenConfigurationError.secretTooShort(bytes: 5)) {
            _ = try await TokenKeySet(keys: [.hs256(secret: current), .hs256(secret: "short")])
        }
    }
}
