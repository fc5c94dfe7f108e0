import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

extension WorkerProcessTests {
    @Suite("Graceful shutdown during a broker outage (docs/contract.md §9)")
    struct ShutdownDuringOutageTests {
        static let commandCount = 3_000

        @Test(
            "SIGTERM while the broker is down stops the worker within 30 s with exit 0; the next start publishes what was left"
        )
        func sigtermWhileBrokerIsDown() async throws {
            guard let harness = try await WorkerHarness.make(.sqlite, commandPartitions: 4, outputPartitions: 4) else {
                return
            }
            let seed = Scenario.seed()
            let scenario = Scenario(
                contacts: 100, total: Self.commandCount, seed: seed, token: try await harness.token())
            let group = "shutdown-\(UUID().uuidString.prefix(8).lowercased())"
            let workers = try WorkerProcesses(
                harness: harness, group: group, extraEnvironment: ["KAFKA_SOCKET_TIMEOUT_MS": "10000"])
            let check = FinalStateCheck(harness: harness, scenario: scenario, group: group)
            let context = "seed \(seed) (CONTACT_WORKER_TEST_SEED), logs in \(workers.directory.path)"
            try await workers.runChecked(context: context, closing: harness) {
                try await harness.send(scenario.commands.map(harness.message))
                let first = try workers.start("first")
                // Down while batches are in flight: some are written but cannot be published.
                try await check.waitForProgress(Int64(Self.commandCount / 3), running: [first])
                try harness.cluster.setBrokerDown(1)
                try await Task.sleep(for: .seconds(2))

                let stopping = ContinuousClock.now
                first.send(SIGTERM)
                let termination = try await first.waitForExit(seconds: 60)
                let elapsed = ContinuousClock.now - stopping
                #expect(termination == .exited(0), "SIGTERM must stop the worker cleanly")
                #expect(elapsed < .seconds(30), "stopping took \(elapsed)")

                try harness.cluster.setBrokerUp(1)
                let second = try workers.start("second")
                try await check.waitUntilProcessed(seconds: 180, running: [second])
                second.send(SIGTERM)
                #expect(try await second.waitForExit(seconds: 30) == .exited(0))
                return try await check.run()
            }
        }

        @Test(
            "a worker started before its database waits for it (instead of exiting) and still stops cleanly on SIGTERM")
        func startsBeforeTheDatabase() async throws {
            try await withHarness(.sqlite) { harness in
                // Nothing listens on port 1: every connection attempt is refused.
                let workers = try WorkerProcesses(
                    harness: harness, group: "early-\(UUID().uuidString.prefix(8).lowercased())",
                    extraEnvironment: [
                        "DATABASE_URL": "postgres://worker@127.0.0.1:1/contacts?connect_timeout=1",
                        "LOG_FORMAT": "json",
                    ])
                let started = ContinuousClock.now
                let worker = try workers.start("early")
                do {
                    // Polled, not slept: the log line and the port may take a while on a busy machine.
                    try await eventually(60, "the worker to wait for its database") {
                        worker.tail().contains("database unavailable; migrating when it is reachable")
                            && HTTPProcessTests.listeningPort(in: worker.log) != nil
                    }
                    // Still there seconds later: it waits instead of giving up.
                    try await Task.sleep(until: started + .seconds(4), clock: .continuous)
                    #expect(
                        worker.poll() == nil, "the worker exited instead of waiting for its database:\n\(worker.tail())"
                    )
                    // The HTTP side answers while the worker waits: alive (no restart loop), not ready.
                    let port = try #require(HTTPProcessTests.listeningPort(in: worker.log), "\(worker.tail())")
                    #expect(try await HTTPReply.get(port: port, path: "/health/live", authorization: nil).status == 200)
                    let ready = try await HTTPReply.get(port: port, path: "/health/ready", authorization: nil)
                    #expect(ready.status == 503)
                    #expect(
                        ready.text.hasPrefix(#"{"status":"not_ready","reason":"backing off: migrating the database: "#),
                        "\(ready.text)")
                    worker.send(SIGTERM)
                    #expect(try await worker.waitForExit(seconds: 10) == .exited(0), "\(worker.tail())")
                } catch {
                    // A worker left behind would retry its database for ever.
                    await workers.killAll()
                    throw error
                }
                workers.removeLogs()
            }
        }
    }
}
