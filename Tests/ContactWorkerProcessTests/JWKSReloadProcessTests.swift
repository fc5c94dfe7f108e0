import ContactDomain
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Testing

@Suite("contact-worker run re-reads JWT_JWKS_FILE on SIGHUP")
struct JWKSReloadProcessTests {
    @Test("with polling off, the swapped JWKS is used after SIGHUP and the worker keeps running; SIGTERM still exits 0")
    func sighupReloads() async throws {
        try await withHarness(.sqlite) { harness in
            let a = try await TestSigningKey.es256(kid: "key-a")
            let b = try await TestSigningKey.es256(kid: "key-b")
            let volume = try SecretVolume(name: "jwks.json", contents: TestSigningKey.jwks([a]))
            defer { volume.remove() }
            let processes = try WorkerProcesses(
                harness: harness, group: "jwks-\(UUID().uuidString.prefix(8).lowercased())",
                extraEnvironment: [
                    "LOG_FORMAT": "json", "JWT_HS256_SECRET": "", "JWT_JWKS_FILE": volume.path,
                    "JWT_JWKS_POLL_SECONDS": "0",
                ])
            defer { processes.removeLogs() }
            let child = try processes.start("worker")
            do {
                let port = try await processes.httpPort(of: child)
                func claims(_ sub: String) -> TokenClaims {
                    TokenClaims(
                        sub: sub, exp: Date().timeIntervalSince1970 + 3600, name: sub, businessID: "biz-1",
                        role: "owner")
                }
                let tokenA = try await a.sign(claims("user-a"))
                let tokenB = try await b.sign(claims("user-b"))
                var sent = 0
                func status(of token: String) async throws -> Int? {
                    let command = TestCommand(
                        type: "CreateContact", contactID: UUID().uuidString.lowercased(),
                        payload: #"{"company_name": "Acme"}"#, token: token)
                    try await harness.send([harness.message(command)])
                    sent += 1
                    let results = try await harness.read(harness.topics.results, count: sent)
                    return try results.map(PublishedResult.init).first { $0.commandID == command.commandID }?.status
                }
                #expect(try await status(of: tokenA) == 201)

                try volume.update(TestSigningKey.jwks([b]))
                // No polling: the swapped file is not read until the signal.
                #expect(try await status(of: tokenB) == 401)
                child.send(SIGHUP)
                _ = try await within(30, "the SIGHUP reload in the metrics") {
                    while true {
                        let reply = try await HTTPReply.get(port: port, path: "/metrics", authorization: nil)
                        if PrometheusSamples(reply.text)[WorkerMetrics.Name.tokenKeyReloads] == 1 { return true }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                #expect(try await status(of: tokenB) == 201)
                #expect(try await status(of: tokenA) == 401)
                #expect(child.isRunning)

                try await processes.expectCleanStop(child)
            } catch {
                await processes.killAll()
                throw error
            }
        }
    }
}

@Suite("contact-worker run survives SIGHUP whatever its key source")
struct HangupProcessTests {
    @Test("a worker on an HS256 secret logs the SIGHUP, keeps processing, and exits 0 on SIGTERM")
    func sighupWithoutJWKS() async throws {
        try await withHarness(.sqlite) { harness in
            let processes = try WorkerProcesses(
                harness: harness, group: "hup-\(UUID().uuidString.prefix(8).lowercased())",
                extraEnvironment: ["LOG_FORMAT": "json"])
            defer { processes.removeLogs() }
            let child = try processes.start("worker")
            do {
                // No HTTP_PORT of its own: the harness gives every worker one below the kernel's
                // ephemeral range (LRK-17).
                let port = try await processes.httpPort(of: child)
                #expect(port >= TestPorts.lowest && port < TestPorts.ephemeralRangeStart(), "port \(port)")
                child.send(SIGHUP)
                _ = try await within(30, "the worker to log the ignored SIGHUP") {
                    while (try? String(contentsOf: child.log, encoding: .utf8))?.contains("SIGHUP ignored") != true {
                        if !child.isRunning {
                            throw ChildProcessError(description: "the worker exited:\n\(processes.tails())")
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return true
                }
                let command = TestCommand(
                    type: "CreateContact", contactID: UUID().uuidString.lowercased(),
                    payload: #"{"company_name": "Acme"}"#, token: try await harness.token())
                try await harness.send([harness.message(command)])
                let results = try await harness.read(harness.topics.results, count: 1)
                #expect(try results.map(PublishedResult.init).map(\.status) == [201])
                #expect(child.isRunning)

                try await processes.expectCleanStop(child)
            } catch {
                await processes.killAll()
                throw error
            }
        }
    }
}
