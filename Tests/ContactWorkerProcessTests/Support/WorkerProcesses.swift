import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Testing

/// Real `contact-worker run` processes against a harness's mock cluster and database, configured
/// the way an operator would: environment variables only.
///
/// The mock cluster lives in the test process, so it outlives any worker killed with SIGKILL.
/// Each worker's output goes to its own log file; ``tails()`` collects their ends for a failure.
final class WorkerProcesses: Sendable {
    /// Consumer-group timing for fast restarts against librdkafka 2.0.2's mock cluster (LRK-13).
    ///
    /// A SIGKILLed member stays in the group until its session times out, and the mock waits
    /// `session.timeout.ms - 1000` for members to rejoin before it elects a leader. Static
    /// membership does not help: the 2.0.2 mock identifies members by member id only, so a
    /// restarted `group.instance.id` is a new member. A 3 s session keeps a restart's rejoin at a
    /// few seconds while heartbeats (every 300 ms, on librdkafka's own thread) still have ten
    /// chances per session on a loaded machine.
    static let kafkaEnvironment = [
        "KAFKA_SESSION_TIMEOUT_MS": "3000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
        "KAFKA_TOPIC_METADATA_REFRESH_INTERVAL_MS": "1000",
    ]

    let harness: WorkerHarness
    let group: String
    let directory: URL
    /// Added to (and overriding) every worker's environment.
    let extraEnvironment: [String: String]
    private let started = Locked<[ChildProcess]>([])

    init(harness: WorkerHarness, group: String, extraEnvironment: [String: String] = [:]) throws {
        self.harness = harness
        self.group = group
        self.extraEnvironment = extraEnvironment
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "contact-worker-processes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// The `contact-worker` executable: `CONTACT_WORKER_BIN`, else the one `swift build
    /// --build-tests` put next to the test bundle.
    static func executable() throws -> String {
        if let override = TestEnvironment.value("CONTACT_WORKER_BIN") {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw ChildProcessError(description: "CONTACT_WORKER_BIN=\(override) is not an executable file")
            }
            return override
        }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("contact-worker").path }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw ChildProcessError(
            description: "the contact-worker executable is missing (looked at \(candidates.joined(separator: ", "))): "
                + "build it with `swift build --build-tests` or set CONTACT_WORKER_BIN")
    }

    /// The environment of every worker: the harness's topics and database, this group, the tests' key.
    var environment: [String: String] {
        var environment = Self.kafkaEnvironment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment["HOME"] = directory.path
        environment["KAFKA_BROKERS"] = harness.cluster.bootstrapServers
        environment["KAFKA_GROUP_ID"] = group
        environment["COMMANDS_TOPIC"] = harness.topics.commands
        environment["EVENTS_TOPIC"] = harness.topics.events
        environment["RESULTS_TOPIC"] = harness.topics.results
        environment["DLQ_TOPIC"] = harness.topics.deadLetters
        environment["DATABASE_URL"] = harness.databaseURL
        environment["JWT_HS256_SECRET"] = WorkerHarness.secret
        environment["LOG_LEVEL"] = "info"
        // For diagnosis: CONTACT_WORKER_TEST_WORKER_LOG_LEVEL=debug sets the workers' LOG_LEVEL,
        // CONTACT_WORKER_TEST_WORKER_KAFKA_DEBUG=cgrp their librdkafka `debug`, and so on.
        let prefix = "CONTACT_WORKER_TEST_WORKER_"
        for (name, value) in ProcessInfo.processInfo.environment
        where name.hasPrefix(prefix) && name.count > prefix.count {
            environment[String(name.dropFirst(prefix.count))] = value
        }
        return environment.merging(extraEnvironment) { $1 }
    }

    /// Starts one more worker; its output goes to `<name>.log` in this object's directory.
    ///
    /// Each worker listens on a port of its own from ``TestPorts``, never on `HTTP_PORT=0`: a
    /// port the kernel picks could be the one a mock broker that is going down binds again (LRK-17).
    @discardableResult
    func start(_ name: String) throws -> ChildProcess {
        var environment = environment
        if environment["HTTP_PORT"] == nil { environment["HTTP_PORT"] = String(try TestPorts.unassigned()) }
        let child = try ChildProcess.spawn(
            try Self.executable(), arguments: ["run"], environment: environment, name: name,
            log: directory.appendingPathComponent("\(name).log"))
        started.withLock { $0.append(child) }
        return child
    }

    /// Sends SIGTERM to `child` and records an issue, with the workers' logs, unless it exits 0
    /// within 30 s (the contract's bound for a graceful shutdown).
    func expectCleanStop(_ child: ChildProcess, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        child.send(SIGTERM)
        let ended = try await child.waitForExit(seconds: 30)
        #expect(ended == .exited(0), "\(tails())", sourceLocation: sourceLocation)
    }

    /// The HTTP port `child` logs it listens on (with `LOG_FORMAT=json`), once it does; fails
    /// with the workers' logs when it exits first or takes over a minute.
    func httpPort(of child: ChildProcess) async throws -> Int {
        try await within(60, "the worker to log its HTTP port") {
            while true {
                if let port = HTTPProcessTests.listeningPort(in: child.log) { return port }
                if !child.isRunning {
                    throw ChildProcessError(description: "the worker exited:\n\(self.tails())")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Runs another `contact-worker` subcommand (`dlq list`, `republish`, …) with the workers'
    /// environment, as an operator would, and returns how it ended and everything it printed.
    func runCLI(
        _ arguments: [String], seconds: Double = 60
    ) async throws -> (status: ChildProcess.Termination, output: String) {
        let log = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).log")
        let child = try ChildProcess.spawn(
            try Self.executable(), arguments: arguments, environment: environment, name: "cli", log: log)
        let status = try await child.waitForExit(seconds: seconds)
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Runs a process-level scenario that ends with the final state check, and cleans up in
    /// every case: the workers are killed and the harness closed; the logs are removed only when
    /// the check found nothing, otherwise their tails are attached to the failure with `context`.
    func runChecked(
        context: String, closing harness: WorkerHarness, _ scenario: () async throws -> FinalStateCheck.Report
    ) async throws {
        let report: FinalStateCheck.Report
        do {
            report = try await scenario()
        } catch {
            Issue.record("\(error)\n\(context)\nworker logs:\n\(tails())")
            await killAll()
            await harness.close()
            throw error
        }
        #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))\n\(context)")
        if !report.problems.isEmpty { Issue.record("worker logs (\(context)):\n\(tails())") }
        await killAll()
        await harness.close()
        if report.problems.isEmpty { removeLogs() }
    }

    /// Every worker started so far.
    var all: [ChildProcess] { started.value }

    /// The last lines of every worker's log, for a failure message.
    func tails(lines: Int = 30) -> String {
        all.map { child in
            let state = child.poll().map(\.description) ?? "running"
            return "--- \(child.name) (pid \(child.pid), \(state)) \(child.log.path)\n\(child.tail(lines: lines))"
        }.joined(separator: "\n")
    }

    /// Kills whatever is still running (SIGKILL) and reaps it; for the end of a test, pass or fail.
    func killAll() async {
        for child in all where child.isRunning {
            child.send(SIGKILL)
            _ = try? await child.waitForExit(seconds: 10)
        }
    }

    /// Removes the logs (keep them when the test failed: their paths are in the failure), unless
    /// `CONTACT_WORKER_TEST_KEEP_LOGS=1` asks to keep them anyway.
    func removeLogs() {
        guard TestEnvironment.value("CONTACT_WORKER_TEST_KEEP_LOGS") != "1" else { return }
        try? FileManager.default.removeItem(at: directory)
    }
}
