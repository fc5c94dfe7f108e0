import ContactDomain
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Testing

@Suite("contact-worker run serves HTTP on HTTP_PORT and stops it on SIGTERM")
struct HTTPProcessTests {
    @Test("a real contact-worker run: health, read side and metrics over HTTP, then SIGTERM exits 0")
    func runServesHTTP() async throws {
        try await withHarness(.sqlite) { harness in
            let port = try TestPorts.unassigned()
            let processes = try WorkerProcesses(
                harness: harness, group: "http-\(UUID().uuidString.prefix(8).lowercased())",
                extraEnvironment: ["HTTP_PORT": String(port), "LOG_FORMAT": "json"])
            defer { processes.removeLogs() }
            let child = try processes.start("worker")
            do {
                #expect(try await processes.httpPort(of: child) == port)
                @Sendable func get(_ path: String, token: String? = nil) async throws -> HTTPReply {
                    try await HTTPReply.get(port: port, path: path, authorization: token.map { "Bearer \($0)" })
                }
                let live = try await get("/health/live")
                #expect(live.status == 200)
                #expect(live.text == #"{"status":"alive"}"#)
                let ready = try await within(60, "readiness") {
                    while true {
                        let reply = try await get("/health/ready")
                        if reply.status == 200 { return reply }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                #expect(ready.text == #"{"status":"ready"}"#)

                let owner = try await harness.token()
                let contact = "550e8400-e29b-41d4-a716-446655440001"
                try await harness.send([
                    harness.message(
                        TestCommand(
                            type: "CreateContact", contactID: contact, payload: #"{"company_name": "Acme"}"#,
                            token: owner))
                ])
                _ = try await harness.read(harness.topics.results, count: 1)
                let history = try await get("/contacts/\(contact)/interactions", token: owner)
                #expect(history.status == 200)
                #expect(history.text == #"{"interactions":[],"total":0,"skip":0,"limit":50}"#)
                let refused = try await get("/contacts/\(contact)/interactions")
                #expect(refused.status == 401)
                #expect(refused.text == #"{"detail":"Invalid or missing credentials"}"#)
                let metrics = try await within(60, "the metrics to count the command") {
                    while true {
                        let samples = PrometheusSamples(try await get("/metrics").text)
                        if samples["contact_worker_commands_consumed_total"] == 1 { return samples }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                #expect(
                    metrics[
                        "contact_worker_commands_processed_total", ["command_type": "CreateContact", "status": "201"]]
                        == 1)

                try await processes.expectCleanStop(child)
                await #expect(throws: (any Error).self) { _ = try await get("/health/live") }
            } catch {
                await processes.killAll()
                throw error
            }
        }
    }

    /// The port of the worker's "HTTP server listening" log line (JSON log format).
    static func listeningPort(in log: URL) -> Int? {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.contains("HTTP server listening") {
            guard let object = try? JSONValue.parse(Array(line.utf8)), let port = object["port"]?.stringValue else {
                continue
            }
            return Int(port)
        }
        return nil
    }
}
