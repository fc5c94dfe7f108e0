import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

extension WorkerProcessTests {
    @Suite("Fault recovery (docs/contract.md §9): broker and database outages mid-run")
    struct FaultRecoveryTests {
        static let commandCount = 6_000

        @Test(
            "broker down and up twice (once past the session timeout) and request errors on produce, fetch, commit and heartbeat: the worker recovers by itself",
            arguments: Backend.available)
        func brokerFaults(backend: Backend) async throws {
            guard let harness = try await WorkerHarness.make(backend, commandPartitions: 12, outputPartitions: 12)
            else { return }
            let cluster = harness.cluster
            // The 2.0.2 mock sometimes leaves a connection open but silent when its broker goes down;
            // the client then waits socket.timeout.ms (60 s by default) before reconnecting (LRK-14).
            let environment = ["KAFKA_SOCKET_TIMEOUT_MS": "10000"]
            // The permanent produce error is injected after the next commands are on the topic, so
            // only the worker's own publishing can run into it.
            try await runScenario(
                harness: harness, backend: backend, name: "broker", environment: environment, sendBeforeInjecting: [2]
            ) { stage in
                switch stage {
                case 0:
                    try cluster.setBrokerDown(1)
                    try await Task.sleep(for: .seconds(2))
                    try cluster.setBrokerUp(1)
                case 1:
                    // Retriable errors librdkafka handles itself, and a heartbeat answer that
                    // forces a rebalance (revoke, drain, re-assign from the database's offsets).
                    try cluster.pushRequestErrors(
                        apiKey: .produce, errors: [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas])
                    try cluster.pushRequestErrors(
                        apiKey: .fetch, errors: [.notLeaderForPartition, .unknownTopicOrPartition, .requestTimedOut])
                    try cluster.pushRequestErrors(
                        apiKey: .offsetCommit, errors: [.coordinatorNotAvailable, .requestTimedOut])
                    try cluster.pushRequestErrors(apiKey: .heartbeat, errors: [.rebalanceInProgress])
                case 2:
                    // A delivery the broker refuses for good. The mock hands a pushed error to the
                    // next Produce request of any client: the worker's (its committed batch is
                    // published again) or, when the worker is idle by then, the test sender's
                    // (which sends the refused commands again). DeliveryFailureTests aims it at
                    // the worker. One error only: the worker's retries fail inside librdkafka
                    // without sending a request.
                    try cluster.pushRequestErrors(apiKey: .produce, errors: [.topicAuthorizationFailed])
                default:
                    // Longer than the 3 s session: the group forgets the worker, which must rejoin.
                    try cluster.setBrokerDown(1)
                    try await Task.sleep(for: .seconds(5))
                    try cluster.setBrokerUp(1)
                }
            }
        }

        @Test("PostgreSQL stopped and started twice mid-run: the worker waits for it and the final state holds")
        func postgresStopStart() async throws {
            guard let server = TestEnvironment.outageURL, let control = TestEnvironment.outageControl else {
                try Test.cancel(Comment(rawValue: TestEnvironment.missingPostgres))
            }
            // The store's outage test stops and starts the same server.
            let lock = try await OutageServerLock.acquire(serverURL: server)
            defer { lock.release() }
            guard
                let harness = try await WorkerHarness.make(
                    .postgres, commandPartitions: 12, outputPartitions: 12, postgresServer: server,
                    postgresOptions: "max_connections=4&connect_timeout=3")
            else { return }
            let serverIsDown = Locked(false)
            do {
                try await runScenario(harness: harness, backend: .postgres, name: "postgres") { stage in
                    guard stage < 2 else { return }
                    try await runShell("\(control) stop -m fast")
                    serverIsDown.withLock { $0 = true }
                    try await Task.sleep(for: .seconds(stage == 0 ? 4 : 8))
                    try await runShell("\(control) start")
                    serverIsDown.withLock { $0 = false }
                }
            } catch {
                if serverIsDown.value { try? await runShell("\(control) start") }
                throw error
            }
        }

        /// Runs the scenario through one `contact-worker run` with four faults injected mid-run,
        /// then stops the worker with SIGTERM and runs the final state check.
        ///
        /// The commands go out in five parts. Each fault (`inject` with stages 0…3) comes once the
        /// database shows the worker halfway through the part just sent, so the fault hits work in
        /// progress, and the next part is sent only after it (before it for the stages in
        /// `sendBeforeInjecting`), so the worker must fetch again once it has recovered.
        private func runScenario(
            harness: WorkerHarness, backend: Backend, name: String, environment: [String: String] = [:],
            sendBeforeInjecting: Set<Int> = [], inject: @escaping (Int) async throws -> Void
        ) async throws {
            let seed = Scenario.seed()
            let scenario = Scenario(
                contacts: 200, total: Self.commandCount, seed: seed, token: try await harness.token())
            let group = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
            let workers = try WorkerProcesses(harness: harness, group: group, extraEnvironment: environment)
            let check = FinalStateCheck(harness: harness, scenario: scenario, group: group)
            let context = "seed \(seed) (CONTACT_WORKER_TEST_SEED), \(backend), logs in \(workers.directory.path)"
            try await workers.runChecked(context: context, closing: harness) {
                let parts = scenario.chunks(of: Self.commandCount / 5)
                try await harness.send(parts[0].map(harness.message))
                let worker = try workers.start("worker")
                for stage in 0..<4 {
                    let halfway = Self.commandCount * stage / 5 + Self.commandCount / 10
                    try await check.waitForProgress(Int64(halfway), running: [worker])
                    if sendBeforeInjecting.contains(stage) {
                        try await harness.send(parts[stage + 1].map(harness.message))
                        try await inject(stage)
                    } else {
                        try await inject(stage)
                        try await harness.send(parts[stage + 1].map(harness.message))
                    }
                }
                try await check.waitUntilProcessed(seconds: 180, running: [worker])
                worker.send(SIGTERM)
                #expect(try await worker.waitForExit(seconds: 30) == .exited(0), "SIGTERM must stop the worker cleanly")

                let report = try await check.run()
                #expect(report.resultMessages >= Self.commandCount)
                return report
            }
        }
    }
}
