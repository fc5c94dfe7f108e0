import ContactWorkerTestSupport
import Foundation
import Testing

@Suite("contact-worker dev: the README's first command")
struct DevCommandTests {
    @Test(
        "dev prints every result, event and dead letter of its scenario, and its send line works as pasted; SIGTERM exits 0"
    )
    func devRunsTheScenario() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dev-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let executable = try WorkerProcesses.executable()
        // Settings in the caller's shell must not reach the demo (it builds its own).
        let shellEnvironment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory.path,
        ]
        // HTTP_PORT is the one setting dev takes over; a port from TestPorts, not 0 (LRK-17).
        let port = try TestPorts.unassigned()
        let environment = shellEnvironment.merging([
            "COMMANDS_TOPIC": "somewhere-else", "JWT_ISSUER": "not-the-dev-issuer", "DATABASE_MIGRATE": "false",
            "HTTP_PORT": String(port),
        ]) { $1 }
        let log = directory.appendingPathComponent("dev.log")
        let dev = try ChildProcess.spawn(
            executable, arguments: ["dev", "--database", directory.appendingPathComponent("dev.sqlite").path],
            environment: environment, name: "dev", log: log)
        do {
            @Sendable func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
            @Sendable func lines(_ prefix: String) -> [String] {
                output().split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    $0.hasPrefix(prefix)
                }
            }
            func waitFor(_ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
                try await eventually(120, what, every: .milliseconds(100)) {
                    if !dev.isRunning { throw ChildProcessError(description: "dev exited:\n\(dev.tail())") }
                    return condition()
                }
            }
            try await waitFor("the scenario's outcomes and the send line") {
                output().contains("Ctrl-C stops it.") && lines("← result").count == 9 && lines("★ event").count == 7
                    && lines("✗ dead letter").count == 1
            }
            // Partitions interleave, so compare status and command type as a sorted list.
            func outcomes() -> [String] {
                lines("← result").map {
                    $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).prefix(2).joined(
                        separator: " ")
                }
                .sorted()
            }
            #expect(
                outcomes() == [
                    "200 UpdateStatus", "200 UpdateStatus", "200 UpdateStatus", "201 AddInteraction",
                    "201 AddInteraction",
                    "201 CreateContact", "201 CreateContact", "400 UpdateStatus", "403 AddInteraction",
                ], "\(output())")
            #expect(
                lines("★ event").map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] }.sorted() == [
                    "ContactCreated", "ContactCreated", "InteractionRecorded", "InteractionRecorded", "StatusChanged",
                    "StatusChanged",
                    "StatusChanged",
                ])
            #expect(lines("✗ dead letter").first?.contains(": value is not valid JSON: ") == true, "\(output())")
            #expect(output().contains("opportunity → active_client (customer)"), "\(output())")
            #expect(output().contains("HTTP read side, health and metrics: http://127.0.0.1:\(port)"), "\(output())")

            // The lines after "from another terminal:" are meant to be pasted into a shell.
            let text = output()
            let start = try #require(text.range(of: "Drive it by hand from another terminal:\n"))
            let end = try #require(text.range(of: "Ctrl-C stops it.", range: start.upperBound..<text.endIndex))
            let pasted = String(text[start.upperBound..<end.lowerBound])
            #expect(pasted.contains("\(executable) send --brokers 127.0.0.1:"), "\(pasted)")
            let shellLog = directory.appendingPathComponent("send.log")
            let shell = try ChildProcess.spawn(
                "/bin/sh", arguments: ["-c", "set -e\n" + pasted], environment: shellEnvironment, name: "send",
                log: shellLog)
            let sent = try await shell.waitForExit(seconds: 90)
            let sendOutput = (try? String(contentsOf: shellLog, encoding: .utf8)) ?? ""
            #expect(sent == .exited(0), "\(sendOutput)")
            #expect(sendOutput.contains(#""status":201"#), "\(sendOutput)")
            try await waitFor("dev to print the pasted command's result") { lines("← result").count == 10 }
            #expect(
                lines("← result").contains {
                    $0.contains("201 AddInteraction") && $0.contains("Sent the service agreement")
                })

            dev.send(SIGTERM)
            #expect(try await dev.waitForExit(seconds: 30) == .exited(0), "\(dev.tail())")
        } catch {
            dev.send(SIGKILL)
            _ = try? await dev.waitForExit(seconds: 10)
            throw error
        }
    }
}
