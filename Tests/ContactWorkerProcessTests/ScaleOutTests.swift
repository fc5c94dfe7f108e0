import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

extension WorkerProcessTests {
    @Suite("Scale-out (docs/contract.md §1, §9): worker processes sharing one group and one database")
    struct ScaleOutTests {
        static let commandCount = 12_000

        @Test(
            "three workers on 12 partitions, one stopped with SIGTERM and one added mid-run: the same final state, no command applied twice",
            arguments: Backend.available)
        func threeWorkersOneLeavesOneJoins(backend: Backend) async throws {
            guard let harness = try await WorkerHarness.make(backend, commandPartitions: 12, outputPartitions: 12)
            else { return }
            let seed = Scenario.seed()
            let scenario = Scenario(
                contacts: 300, total: Self.commandCount, seed: seed, token: try await harness.token())
            let group = "scale-\(UUID().uuidString.prefix(8).lowercased())"
            // Nobody is killed here, so no restart waits on a session timeout; a longer one lets a
            // member that drains a large in-flight batch on revoke rejoin in time (LRK-13). The 2.0.2 mock
            // waits only session.timeout.ms - 1000 for members to rejoin (a real broker waits
            // max.poll.interval.ms); with 3 s, SQLite workers contending for the write lock under
            // load were evicted mid-drain and their partitions re-processed by the next owner.
            let workers = try WorkerProcesses(
                harness: harness, group: group,
                extraEnvironment: ["KAFKA_SESSION_TIMEOUT_MS": "10000", "KAFKA_HEARTBEAT_INTERVAL_MS": "500"])
            let check = FinalStateCheck(harness: harness, scenario: scenario, group: group)
            let context = "seed \(seed) (CONTACT_WORKER_TEST_SEED), \(backend), logs in \(workers.directory.path)"

            try await workers.runChecked(context: context, closing: harness) {
                let first = try (0..<3).map { try workers.start("worker-\($0)") }
                let sender = Task {
                    for chunk in scenario.chunks(of: 1_000) {
                        try await harness.send(chunk.map(harness.message))
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }

                // All three share the partitions before one of them leaves.
                try await waitForLog(first, "partitions assigned", seconds: 90)
                try await check.waitForProgress(Int64(Self.commandCount / 3), running: first)
                first[0].send(SIGTERM)
                #expect(try await first[0].waitForExit(seconds: 30) == .exited(0), "SIGTERM must stop worker-0 cleanly")

                let added = try workers.start("worker-3")
                try await waitForLog([added], "partitions assigned", seconds: 90)
                try await sender.value
                try await check.waitUntilProcessed(seconds: 180, running: [first[1], first[2], added])

                let remaining = [first[1], first[2], added]
                for worker in remaining { worker.send(SIGTERM) }
                for worker in remaining {
                    #expect(
                        try await worker.waitForExit(seconds: 30) == .exited(0),
                        "SIGTERM must stop \(worker.name) cleanly")
                }

                let report = try await check.run()
                #expect(report.resultMessages >= Self.commandCount)
                return report
            }
        }

        /// Waits until every one of `workers` logged `text` (each worker logs its assignments).
        private func waitForLog(_ workers: [ChildProcess], _ text: String, seconds: Double) async throws {
            _ = try await within(seconds, "\(workers.map(\.name).joined(separator: ", ")) to log \"\(text)\"") {
                while !workers.allSatisfy({ ((try? String(contentsOf: $0.log, encoding: .utf8)) ?? "").contains(text) })
                {
                    if let dead = workers.first(where: { !$0.isRunning }) {
                        throw ChildProcessError(
                            description: "\(dead.name) \(dead.poll().map(\.description) ?? "ended") on its own")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return true
            }
        }
    }
}
