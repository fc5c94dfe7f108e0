import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

extension WorkerProcessTests {
    @Suite("Crash safety (docs/contract.md §9): kill -9 at any instant")
    struct CrashSafetyTests {
        static let commandCount = 20_000
        static let kills = 12

        @Test(
            "20,000 commands through a `contact-worker run` killed with SIGKILL 12 times (3 during start-up) and restarted: nothing lost, nothing applied twice",
            arguments: Backend.available)
        func killedAtRandomMoments(backend: Backend) async throws {
            guard let harness = try await WorkerHarness.make(backend, commandPartitions: 12, outputPartitions: 12)
            else { return }
            let seed = Scenario.seed()
            let scenario = Scenario(
                contacts: 400, total: Self.commandCount, seed: seed, token: try await harness.token())
            let group = "crash-\(UUID().uuidString.prefix(8).lowercased())"
            let workers = try WorkerProcesses(harness: harness, group: group)
            let check = FinalStateCheck(harness: harness, scenario: scenario, group: group)
            var random = SeededGenerator(seed: seed)
            let context = "seed \(seed) (CONTACT_WORKER_TEST_SEED), \(backend), logs in \(workers.directory.path)"

            try await workers.runChecked(context: context, closing: harness) {
                // Commands keep arriving while workers die: 20 chunks, one after another (so each
                // partition keeps its order), with a pause between them.
                let sender = Task {
                    for chunk in scenario.chunks(of: 1_000) {
                        try await harness.send(chunk.map(harness.message))
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }

                // Most kills wait until the database shows the worker past a random point of its
                // slice of the run, plus up to 150 ms, so they land in the middle of planning,
                // applying, publishing and committing alike. Every fourth kill comes 0.2–1.5 s after
                // start instead, during start-up: publishing a previous run's outbox, joining.
                let progressKills = Self.kills - Self.kills / 4
                let slice = Self.commandCount / (progressKills + 2)
                var progressRound = 0
                for round in 0..<Self.kills {
                    let worker = try workers.start("worker-\(round)")
                    if round % 4 == 3 {
                        try await Task.sleep(for: .milliseconds(200 + Int(random.next() % 1_300)))
                    } else {
                        progressRound += 1
                        let target = Int64(slice * progressRound + Int(random.next() % UInt64(slice / 2)))
                        try await check.waitForProgress(target, running: [worker])
                        try await Task.sleep(for: .milliseconds(Int(random.next() % 150)))
                    }
                    worker.send(SIGKILL)
                    let ended = try await worker.waitForExit(seconds: 10)
                    #expect(ended == .signalled(SIGKILL), "worker-\(round) ended before it was killed: \(ended)")
                }
                try await sender.value

                let last = try workers.start("worker-last")
                try await check.waitUntilProcessed(seconds: 180, running: [last])
                last.send(SIGTERM)
                #expect(try await last.waitForExit(seconds: 30) == .exited(0), "SIGTERM must stop the worker cleanly")

                let report = try await check.run()
                #expect(report.resultMessages >= Self.commandCount)
                #expect(report.eventMessages >= scenario.acceptedCount)
                return report
            }
        }
    }
}
