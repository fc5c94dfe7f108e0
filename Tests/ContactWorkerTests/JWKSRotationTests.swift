import ContactDomain
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import ServiceLifecycle
import Testing

@Suite("JWKS rotation while commands flow (JWT_JWKS_FILE reloads)")
struct JWKSRotationTests {
    /// A reloader over `volume`'s file polling every 100 ms (no signals: the test process is
    /// shared), in a service group of its own.
    private struct Reloading {
        let verifier: TokenVerifier
        let metrics: WorkerMetrics
        let group: ServiceGroup
        let task: Task<Void, any Error>

        init(_ volume: SecretVolume) async throws {
            let file = JWKSFile(path: volume.path)
            let bytes = try file.read()
            verifier = try TokenVerifier(keyRing: TokenKeyRing(try await TokenKeySet.fromJWKS(bytes)))
            metrics = WorkerMetrics()
            let reloader = TokenKeyReloader(
                file: file, keyRing: verifier.keyRing, initial: .bytes(bytes),
                configuration: .init(pollInterval: .milliseconds(100)), signals: nil, metrics: metrics,
                logger: testLogger)
            let group = ServiceGroup(configuration: .init(services: [.init(service: reloader)], logger: testLogger))
            self.group = group
            task = Task { try await group.run() }
        }

        var samples: PrometheusSamples { PrometheusSamples(String(decoding: metrics.exposition(), as: UTF8.self)) }

        /// Waits until the keys in force are generation `generation`.
        func waitForGeneration(_ generation: UInt64) async throws {
            let ring = verifier.keyRing
            _ = try await within(10, "key generation \(generation)") {
                while ring.current.generation < generation { try await Task.sleep(for: .milliseconds(20)) }
                return true
            }
        }

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }
    }

    private static func claims(_ sub: String) -> TokenClaims {
        TokenClaims(
            sub: sub, exp: Date().timeIntervalSince1970 + 3600, name: sub, businessID: "biz-1", role: "owner")
    }

    private static func create(_ token: String) -> TestCommand {
        TestCommand(
            type: "CreateContact", contactID: UUID().uuidString.lowercased(),
            payload: #"{"first_name": "Grace", "last_name": "Hopper"}"#, token: token)
    }

    @Test(
        "key A, then A and B, then B only: no 401 during the overlap, A's tokens 401 once A is removed, a broken file keeps B",
        arguments: Backend.available)
    func rotation(backend: Backend) async throws {
        try await withHarness(backend) { harness in
            let a = try await TestSigningKey.es256(kid: "key-a")
            let b = try await TestSigningKey.es256(kid: "key-b")
            let volume = try SecretVolume(name: "jwks.json", contents: TestSigningKey.jwks([a]))
            defer { volume.remove() }
            let reloading = try await Reloading(volume)
            let worker = try harness.startWorker(verifier: reloading.verifier)
            let tokenA = try await a.sign(Self.claims("user-a"))
            let tokenB = try await b.sign(Self.claims("user-b"))
            var sent: [TestCommand] = []
            /// Sends `commands` and returns their results' statuses, in order.
            func run(_ commands: [TestCommand]) async throws -> [Int?] {
                sent += commands
                try await harness.send(commands.map(harness.message))
                let results = try await harness.read(harness.topics.results, count: sent.count).map(
                    PublishedResult.init)
                let statuses = Dictionary(results.map { ($0.commandID ?? "", $0.status) }) { first, _ in first }
                return commands.map { statuses[$0.commandID] ?? nil }
            }

            // Key A alone.
            #expect(try await run((0..<4).map { _ in Self.create(tokenA) }) == Array(repeating: 201, count: 4))

            // A and B: A's commands sent while the swap lands, B's once it has.
            try volume.update(TestSigningKey.jwks([a, b]))
            let duringSwap = try await run((0..<4).map { _ in Self.create(tokenA) })
            try await reloading.waitForGeneration(1)
            let overlap = try await run((0..<6).map { Self.create($0.isMultiple(of: 2) ? tokenA : tokenB) })
            #expect(duringSwap == Array(repeating: 201, count: 4))
            #expect(overlap == Array(repeating: 201, count: 6))

            // B only: the same token of A, verified and cached before, is now refused.
            try volume.update(TestSigningKey.jwks([b]))
            try await reloading.waitForGeneration(2)
            #expect(
                try await run([Self.create(tokenA), Self.create(tokenB), Self.create(tokenA), Self.create(tokenB)])
                    == [401, 201, 401, 201])

            // A broken file: logged and counted, B stays in force.
            try volume.update(#"{"keys": [{"kty": "EC", "kid": "key-c""#)
            let samples = try await within(10, "a counted reload failure") {
                while reloading.samples[WorkerMetrics.Name.tokenKeyReloadFailures] != 1 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                return reloading.samples
            }
            #expect(reloading.verifier.keyRing.current.generation == 2)
            #expect(try await run([Self.create(tokenB), Self.create(tokenA)]) == [201, 401])
            #expect(samples[WorkerMetrics.Name.tokenKeyReloads] == 2)
            #expect(samples[WorkerMetrics.Name.tokenKeys] == 1)
            #expect(reloading.samples[WorkerMetrics.Name.tokenKeyReloadFailures] == 1)

            try await worker.stop()
            try await reloading.stop()
        }
    }
}
