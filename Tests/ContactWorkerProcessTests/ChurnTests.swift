import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

extension WorkerProcessTests {
    /// Workers joining and leaving one group while state-dependent commands flow (issue 18): no
    /// worker may decide a command on state another worker has since changed.
    ///
    /// `contact-worker run` processes (three at first, two to five at rest, never none) share 12
    /// commands partitions and one PostgreSQL database. A script generated from the seed
    /// (``ChurnPlan``) sends bursts that walk every contact's status one step (or the contacts of
    /// one partition several steps), with interactions around the steps and some steps the rules
    /// refuse, and every few seconds kills a member (SIGKILL), stops one (SIGTERM: it must exit 0
    /// within 30 s), adds or removes one: in the middle of bursts, and in quiet gaps while every
    /// worker is idle. The result of every command must be the serial model's; each contact's
    /// `StatusChanged` events its chain; versions must only go up; the stored totals must match;
    /// no message may be dead-lettered (``FinalStateCheck``, ``ChurnCheck``).
    ///
    /// The seed is printed, with what the run did (membership changes, where each handover's
    /// partition went, re-delivered copies); `CONTACT_WORKER_TEST_SEED` repeats the script: the
    /// same commands and changes (which member ids the broker hands out, and so how many joins a
    /// handover takes, is the broker's). The default length is sized for CI; a longer run sets
    /// how many seconds of churn to script (the mock cluster keeps about 5 MB per partition, and
    /// the check names a topic whose start it dropped):
    ///
    ///     CONTACT_WORKER_TEST_CHURN_SECONDS=600 scripts/with-postgres.sh swift test --filter ChurnTests
    @Suite("Churn (issue 18): members killed, stopped, added and removed under state-dependent load")
    struct ChurnTests {
        static let contacts = 150
        /// The seconds of churn one round of the script stands for: the script has
        /// ``churnSeconds`` / this many rounds.
        static let secondsPerRound = 3

        static var churnSeconds: Int {
            TestEnvironment.value("CONTACT_WORKER_TEST_CHURN_SECONDS").flatMap(Int.init) ?? 45
        }

        @Test(
            "workers killed, stopped, added and removed under bursts of status steps: every result is the serial model's, every contact's StatusChanged chain and versions too, nothing dead-lettered"
        )
        func churn() async throws {
            guard let harness = try await WorkerHarness.make(.postgres, commandPartitions: 12, outputPartitions: 12)
            else { return }
            let seed = Scenario.seed()
            let plan = ChurnPlan(
                seed: seed, contacts: Self.contacts, rounds: max(4, Self.churnSeconds / Self.secondsPerRound),
                token: try await harness.token(), partition: harness.partition(for:))
            let group = "churn-\(UUID().uuidString.prefix(8).lowercased())"
            let workers = try WorkerProcesses(harness: harness, group: group)
            var check = FinalStateCheck(harness: harness, scenario: plan.scenario, group: group)
            check.toleratesDuplicateResults = true
            let context = "seed \(seed) (CONTACT_WORKER_TEST_SEED), logs in \(workers.directory.path)"
            print(
                "ChurnTests: seed \(seed) (repeat with CONTACT_WORKER_TEST_SEED=\(seed)): \(plan.scenario.commands.count) commands "
                    + "for \(Self.contacts) contacts in \(plan.bursts.count) bursts, \(plan.steps.count) steps")

            try await workers.runChecked(context: context, closing: harness) {
                let started = ContinuousClock.now
                var fleet = Fleet(workers: workers, harness: harness, plan: plan, check: check)
                for _ in 0..<ChurnPlan.initialMembers { try fleet.startMember() }
                try await fleet.waitSettled()
                for step in plan.steps { try await fleet.run(step) }
                let churned = ContinuousClock.now

                try await fleet.run(.waitIdle)
                for member in fleet.running { member.send(SIGTERM) }
                for member in fleet.running {
                    let ended = try await member.waitForExit(seconds: 30)
                    if ended != .exited(0) {
                        fleet.problems.append("SIGTERM at the end: \(member.name) \(ended), expected exit 0")
                    }
                }

                var report = try await check.run()
                let churn = try await ChurnCheck(plan: plan, finalState: check).run()
                report.problems += fleet.problems + churn.problems
                print(
                    "ChurnTests: seed \(seed): \(fleet.summary); churn \(churned - started), end \(ContinuousClock.now - churned); "
                        + "\(report.resultMessages) results (\(report.republishedResults) re-published, \(report.duplicateResults) duplicate: true), "
                        + "\(report.eventMessages) events (\(churn.redeliveredEvents) re-delivered, \(churn.redeliveredBehind) of them after newer ones), "
                        + "\(churn.statusChanges) status changes; \(report.problems.count) problems")
                return report
            }
        }

        /// The running workers and the script's interpreter.
        private struct Fleet {
            let workers: WorkerProcesses
            let harness: WorkerHarness
            let plan: ChurnPlan
            let check: FinalStateCheck
            /// Oldest first; the script's `member` indexes into it.
            var running: [ChildProcess] = []
            var problems: [String] = []
            /// What each handover did, e.g. `partition 5: worker-1 → worker-4 → worker-1`.
            var handovers: [String] = []
            private var handover: (partition: Int32, owners: [String])?
            /// The handover's member left: the next idle worker set shows where the partition went.
            private var handingBack = false
            private var started = 0
            private var sent = 0
            private var sending: Task<Void, any Error>?
            /// Each running worker's count of assignments when the last change began.
            private var assignmentsBefore: [String: Int] = [:]
            private var counts: [String: Int] = [:]
            static let takeOverAttempts = 3

            init(workers: WorkerProcesses, harness: WorkerHarness, plan: ChurnPlan, check: FinalStateCheck) {
                self.workers = workers
                self.harness = harness
                self.plan = plan
                self.check = check
            }

            var summary: String {
                let changes = ["kill", "kill+restart", "stop", "stop+restart", "add"].compactMap { name in
                    counts[name].map { "\($0) \(name)" }
                }
                return "\(started) workers started, changes: \(changes.joined(separator: ", ")); handovers: "
                    + handovers.joined(separator: "; ")
            }

            mutating func startMember() throws {
                running.append(try workers.start("worker-\(started)"))
                started += 1
            }

            mutating func run(_ step: ChurnPlan.Step) async throws {
                if let dead = running.first(where: { !$0.isRunning }) {
                    throw ChildProcessError(
                        description: "\(dead.name) \(dead.poll().map(\.description) ?? "ended") on its own")
                }
                switch step {
                case .send(let index):
                    try await sending?.value
                    let burst = plan.bursts[index]
                    let messages = plan.scenario.commands[burst.commands].map(harness.message)
                    sent += messages.count
                    sending = Task { [harness] in try await harness.send(messages) }
                case .change(let change):
                    try await apply(change)
                case .waitIdle:
                    try await sending?.value
                    try await check.waitUntilProcessed(seconds: 180, running: running, sent: sent)
                    if handingBack, let handover {
                        handovers.append(
                            "partition \(handover.partition): "
                                + (handover.owners + [owner(of: handover.partition)?.name ?? "nobody"]).joined(
                                    separator: " → "))
                        self.handover = nil
                        handingBack = false
                    }
                case .waitSettled:
                    try await waitSettled()
                case .takeOver(let partition):
                    try await takeOver(partition)
                case .handBack(let partition, let kill):
                    try await handBack(partition, kill: kill)
                case .pause(let milliseconds):
                    try await Task.sleep(for: .milliseconds(milliseconds))
                }
            }

            private mutating func apply(_ change: ChurnPlan.Change) async throws {
                assignmentsBefore = Dictionary(uniqueKeysWithValues: running.map { ($0.name, Self.assignments($0)) })
                switch change {
                case .kill(let member, let restart):
                    counts[restart ? "kill+restart" : "kill", default: 0] += 1
                    let child = running.remove(at: member % running.count)
                    child.send(SIGKILL)
                    let ended = try await child.waitForExit(seconds: 10)
                    if ended != .signalled(SIGKILL) {
                        problems.append("\(child.name) ended before it was killed: \(ended)")
                    }
                    if restart { try startMember() }
                case .stop(let member, let restart):
                    counts[restart ? "stop+restart" : "stop", default: 0] += 1
                    let child = running.remove(at: member % running.count)
                    child.send(SIGTERM)
                    let ended = try await child.waitForExit(seconds: 30)
                    if ended != .exited(0) { problems.append("SIGTERM: \(child.name) \(ended), expected exit 0") }
                    if restart { try startMember() }
                case .add:
                    counts["add", default: 0] += 1
                    try startMember()
                }
            }

            private mutating func takeOver(_ partition: Int32) async throws {
                let first = owner(of: partition)
                for attempt in 1...Self.takeOverAttempts {
                    try await apply(.add)
                    try await waitSettled()
                    let now = owner(of: partition)
                    if now !== first || attempt == Self.takeOverAttempts {
                        handover = (partition, [first, now].map { $0?.name ?? "nobody" })
                        return
                    }
                    // The join left the partition where it was: another member id may split differently.
                    try await apply(.stop(member: running.count - 1, restart: false))
                    try await waitSettled()
                }
            }

            private mutating func handBack(_ partition: Int32, kill: Bool) async throws {
                let newest = running.count - 1
                if kill, owner(of: partition) === running[newest] {
                    // The partition waits out the killed member's session; the next burst queues up.
                    try await apply(.kill(member: newest, restart: false))
                } else {
                    try await apply(.stop(member: newest, restart: false))
                    try await waitSettled()
                }
                handingBack = true
            }

            /// The running worker whose latest assignment holds `partition` and was not revoked
            /// since (call once settled).
            private func owner(of partition: Int32) -> ChildProcess? {
                running.first { member in
                    let log = (try? String(contentsOf: member.log, encoding: .utf8)) ?? ""
                    guard
                        let line = log.split(separator: "\n").last(where: {
                            $0.hasSuffix("[ContactWorker] partitions assigned")
                                || $0.hasSuffix("[ContactWorker] partitions revoked")
                        }),
                        line.hasSuffix("assigned"),
                        let field = line.split(separator: " ").first(where: { $0.hasPrefix("partitions=") })
                    else { return false }
                    return field.split(separator: ",").contains { $0.hasSuffix("[\(partition)]") }
                }
            }

            /// Waits until every running worker logged an assignment since the last change began
            /// (each member of an eager group is assigned again after every rebalance).
            func waitSettled() async throws {
                let members = running
                let before = assignmentsBefore
                _ = try await within(60, "\(members.map(\.name).joined(separator: ", ")) to be assigned partitions") {
                    while !members.allSatisfy({ Self.assignments($0) > before[$0.name] ?? 0 }) {
                        if let dead = members.first(where: { !$0.isRunning }) {
                            throw ChildProcessError(
                                description: "\(dead.name) \(dead.poll().map(\.description) ?? "ended") on its own")
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return true
                }
            }

            /// How many assignments `member` logged so far.
            private static func assignments(_ member: ChildProcess) -> Int {
                let log = (try? String(contentsOf: member.log, encoding: .utf8)) ?? ""
                return log.components(separatedBy: "partitions assigned").count - 1
            }
        }
    }
}
