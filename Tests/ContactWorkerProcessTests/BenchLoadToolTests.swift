import ContactDomain
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

@Suite("bench load, the benchmarks' load client (docs/benchmarks.md)")
struct BenchLoadToolTests {
    @Test(
        "a backlog is CreateContact for each contact, then AddInteraction; --existing-contacts leaves out the CreateContact"
    )
    func backlogs() async throws {
        try await withHarness(.sqlite, commandPartitions: 2) { harness in
            let directory = try #require(harness.directory)
            let executable = try WorkerProcesses.executable()
            let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            func run(_ extra: [String]) async throws -> (ChildProcess.Termination, String) {
                let log = directory.appendingPathComponent("load-\(UUID().uuidString.prefix(8)).log")
                let child = try ChildProcess.spawn(
                    executable,
                    arguments: [
                        "bench", "load", "--brokers", harness.cluster.bootstrapServers, "--topic",
                        harness.topics.commands, "--contacts", "3", "--count", "5", "--tokens", "2",
                    ] + extra, environment: environment, name: "bench-load", log: log)
                let status = try await child.waitForExit(seconds: 60)
                return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
            }
            func load(_ extra: [String]) async throws {
                let (status, output) = try await run(extra)
                #expect(status == .exited(0), "\(output)")
            }
            func types(_ messages: [KafkaMessage]) throws -> [String: Int] {
                try messages.reduce(into: [:]) { counts, message in
                    let type = try JSONValue.parse(message.value)["type"]?.stringValue ?? "-"
                    counts[type, default: 0] += 1
                }
            }

            try await load([])
            try await harness.waitForCount(harness.topics.commands, atLeast: 8)
            #expect(try await harness.messageCount(harness.topics.commands) == 8)
            #expect(
                try types(try await harness.read(harness.topics.commands, count: 8))
                    == ["CreateContact": 3, "AddInteraction": 5])

            try await load(["--existing-contacts"])
            try await harness.waitForCount(harness.topics.commands, atLeast: 13)
            #expect(try await harness.messageCount(harness.topics.commands) == 13)
            #expect(
                try types(try await harness.read(harness.topics.commands, count: 13))
                    == ["CreateContact": 3, "AddInteraction": 10])

            // A rate run creates no contacts: the flag is refused there, and nothing is sent.
            let (status, output) = try await run(["--rate", "10", "--seconds", "1", "--existing-contacts"])
            #expect(status != .exited(0))
            #expect(output.contains("--existing-contacts is for a backlog"), "\(output)")
            #expect(try await harness.messageCount(harness.topics.commands) == 13)
        }
    }
}
