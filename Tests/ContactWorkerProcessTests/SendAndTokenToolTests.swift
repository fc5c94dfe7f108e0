import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

@Suite("send and token, as a person drives the worker by hand (docs/contract.md §10)")
struct SendAndTokenToolTests {
    @Test(
        "token mints a key the worker accepts; send reads the Kafka connection from --config and waits for the result")
    func tokenThenSend() async throws {
        try await withHarness(.sqlite, commandPartitions: 2) { harness in
            let worker = try harness.startWorker()
            let directory = try #require(harness.directory)
            let executable = try WorkerProcesses.executable()
            // Nothing but the file says where Kafka is and which topics to use.
            let environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory.path,
            ]
            let config = directory.appendingPathComponent("send.yaml")
            try Data(
                """
                kafka:
                  brokers: "\(harness.cluster.bootstrapServers)"
                commands:
                  topic: \(harness.topics.commands)
                results:
                  topic: \(harness.topics.results)
                jwt:
                  issuer: crm-test
                  hs256:
                    secret: \(WorkerHarness.secret)
                """.utf8
            ).write(to: config)

            func run(_ arguments: [String]) async throws -> (ChildProcess.Termination, String) {
                let log = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).log")
                let child = try ChildProcess.spawn(
                    executable, arguments: arguments, environment: environment, name: "cli", log: log)
                let status = try await child.waitForExit(seconds: 60)
                return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
            }

            let (tokenStatus, tokenOutput) = try await run(
                [
                    "token", "--config", config.path, "--sub", "u-9", "--name", "Ada Hand", "--business", "biz-1",
                    "--role",
                    "owner",
                ])
            #expect(tokenStatus == .exited(0))
            let token = tokenOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.split(separator: ".").count == 3)
            // The configured issuer is in the token: a worker checking JWT_ISSUER accepts it.
            let claims = try Self.claims(of: token)
            #expect(claims["iss"]?.stringValue == "crm-test")
            #expect(claims["sub"]?.stringValue == "u-9")
            // A secret given as a flag still takes the configured issuer.
            let (_, flagged) = try await run(
                ["token", "--config", config.path, "--secret", WorkerHarness.secret, "--business", "biz-1"])
            #expect(try Self.claims(of: flagged)["iss"]?.stringValue == "crm-test", "\(flagged)")

            // --file holds the whole envelope: an envelope flag beside it is refused, not ignored.
            let (refused, refusal) = try await run([
                "send", "--config", config.path, "--file", config.path, "--type", "CreateContact",
            ])
            #expect(refused == .exited(64))
            #expect(refusal.contains("--file holds the whole envelope; drop --type"), "\(refusal)")

            let contact = "00000000-0000-4000-8000-0000000000d4"
            let (sendStatus, sendOutput) = try await run([
                "send", "--config", config.path, "--token", token, "--business", "biz-1", "--contact", contact,
                "--type", "CreateContact", "--payload", #"{"first_name": "Hand"}"#, "--correlation-id", "by-hand",
                "--wait",
            ])
            try await worker.stop()
            #expect(sendStatus == .exited(0), "\(sendOutput)")
            let resultLine = try #require(sendOutput.split(separator: "\n").last.map(String.init))
            let result = try JSONValue.parse(Array(resultLine.utf8))
            #expect(result["status"]?.intValue == 201)
            #expect(result["correlation_id"]?.stringValue == "by-hand")
            #expect(result["body"]?["first_name"]?.stringValue == "Hand")
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
            #expect(stored?.firstName == "Hand")
            #expect(
                try await harness.store.statusHistory(
                    contactID: try #require(UUID(uuidString: contact)), skip: 0, limit: 1
                )
                .items.first?.changedBy == "Ada Hand")
        }
    }

    /// The claims of a JWT (the CLI's output, trimmed).
    static func claims(of token: String) throws -> JSONValue {
        let parts = token.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".")
        try #require(parts.count == 3, "not a JWT: \(token)")
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        return try JSONValue.parse(Array(try #require(Data(base64Encoded: payload))))
    }
}
