import ContactWorkerTestSupport
import Foundation

/// `examples/analytics-subscriber/subscriber.py`, run with the repository's checks venv
/// (`.build/checks-venv`, made by `scripts/install-deps.sh --tests`) as a child process.
struct AnalyticsSubscriber: Sendable {
    /// The repository root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/checks-venv/bin/python").path
    static let example = root.appendingPathComponent("examples/analytics-subscriber")
    static let script = example.appendingPathComponent("subscriber.py").path

    /// Whether the venv's Python is there to run the example with.
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python) }

    static let missing =
        "no Python venv at .build/checks-venv (scripts/install-deps.sh --tests creates it with confluent-kafka from PyPI)"

    let brokers: String
    /// Where the logs of the runs go.
    let directory: URL

    /// `subscriber.py consume … --until-idle 2`: reads `topic` in `group` into the funnel at `database`
    /// until it has caught up, and returns everything it printed.
    func consume(topic: String, group: String, database: URL) async throws -> String {
        try await run(
            [
                Self.script, "consume", "--brokers", brokers, "--topic", topic, "--group", group, "--db", database.path,
                "--until-idle", "2",
                // The mock waits `session.timeout.ms - 1000` for the members of a group that had
                // members before to rejoin (LRK-13), so a group used again starts after 2 s, not 44.
                "-X", "session.timeout.ms=3000", "-X", "heartbeat.interval.ms=300",
            ], what: "consume (group \(group))")
    }

    /// `subscriber.py report`: the funnel at `database`.
    func report(database: URL) async throws -> AnalyticsFunnel {
        let output = try await run([Self.script, "report", "--db", database.path], what: "report")
        do {
            return try JSONDecoder().decode(AnalyticsFunnel.self, from: Data(output.utf8))
        } catch {
            throw ChildProcessError(description: "report printed no funnel (\(error)):\n\(output)")
        }
    }

    /// The example's own tests, of its version rule without Kafka (`test_*.py`, unittest).
    func unitTests() async throws -> String {
        try await run(["-m", "unittest", "discover", "-v", "-s", Self.example.path], what: "the example's unit tests")
    }

    /// Runs the venv's Python with `arguments` and returns its output, failing unless it exits 0.
    private func run(_ arguments: [String], what: String) async throws -> String {
        let log = directory.appendingPathComponent("subscriber-\(UUID().uuidString.prefix(8)).log")
        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory.path,
            // No __pycache__ in the source tree.
            "PYTHONDONTWRITEBYTECODE": "1",
        ]
        let child = try ChildProcess.spawn(
            Self.python, arguments: arguments, environment: environment, name: "subscriber", log: log)
        let ended: ChildProcess.Termination
        do {
            ended = try await child.waitForExit(seconds: 120)
        } catch {
            child.send(SIGKILL)
            _ = try? await child.waitForExit(seconds: 10)
            throw ChildProcessError(description: "\(what): \(error)\n\(child.tail())")
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard ended == .exited(0) else {
            throw ChildProcessError(description: "\(what) \(ended):\n\(output)")
        }
        return output
    }
}
