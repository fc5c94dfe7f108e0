import ContactDomain
import ContactWorkerHarness
import Foundation

/// The churn test's script, generated from a seed: bursts of state-dependent commands, the
/// membership changes between and during them, and what applying every command serially by the
/// docs/contract.md §5 rules (``StatusTransitions``) makes of it.
///
/// All contacts are created first. Every later burst walks each contact in its scope (all
/// contacts, or only those of one commands partition) one or more status steps, with
/// `AddInteraction` commands before and after each step. Most steps are allowed by the transition
/// table, some are stage-only changes (same status, a different explicit stage: 200) and some are
/// refused (400). A contact's commands keep their order in the stream, which is its order on its
/// partition, and carry strictly increasing `issued_at` values, so the model's answer to every
/// command, each contact's chain of status changes and the version every event announces are
/// well defined whichever worker decides them.
///
/// The membership script starts from ``initialMembers`` workers and stays between
/// ``minimumMembers`` and ``maximumMembers`` at rest (a restart briefly runs one fewer, never
/// none). Besides busy rounds (a burst with a change in the middle of it) and quiet rounds (a
/// change while every worker is idle), it holds handovers (issue 18, defect 1): a burst on one
/// partition, which its owner decides; a member joining while everyone is idle, so that the
/// partition moves to another worker, which decides a second burst on it; then that member
/// leaving, and a burst on the partition large enough to be planned ahead (the worker's
/// `planAheadMinimum` is 250) waiting for the next owner, which with the eager `range` assignor
/// is the first owner again. Which partitions a join moves depends on the member ids the broker
/// hands out, so the test joins again (up to a few times) until the partition has moved.
struct ChurnPlan: Sendable {
    static let initialMembers = 3
    static let minimumMembers = 2
    static let maximumMembers = 5
    /// Commands in a handover's last burst: above the worker's `planAheadMinimum` (250).
    static let backlogCommands = 270

    /// A membership change; `member` picks among the running workers, oldest first.
    enum Change: Sendable, Equatable, CustomStringConvertible {
        /// SIGKILL; with `restart` a replacement starts at once.
        case kill(member: Int, restart: Bool)
        /// SIGTERM (the worker must exit 0 within 30 s); with `restart` a replacement starts once it exited.
        case stop(member: Int, restart: Bool)
        /// One more worker.
        case add

        var description: String {
            switch self {
            case .kill(let member, let restart): "kill member \(member)\(restart ? " and restart" : "")"
            case .stop(let member, let restart): "stop member \(member)\(restart ? " and restart" : "")"
            case .add: "add a member"
            }
        }
    }

    /// One step of the script; the test runs them in order.
    enum Step: Sendable, Equatable {
        /// Starts sending burst `burst` (once the burst before it reached the topic).
        case send(burst: Int)
        case change(Change)
        /// Waits until every command sent so far is processed and the outbox is empty.
        case waitIdle
        /// Waits until every running worker was assigned partitions after the last change.
        case waitSettled
        /// Notes the owner of `partition`, then adds a member while every worker is idle; when
        /// the partition stayed with its owner, stops the new member and adds another (a few
        /// times at most). One member more at the end.
        case takeOver(partition: Int32)
        /// The member added last leaves: killed (`kill`, when it owns `partition`: its partitions
        /// wait out its session) or stopped (then the partitions are assigned again before the
        /// next step). One member fewer at the end.
        case handBack(partition: Int32, kill: Bool)
        case pause(milliseconds: Int)
    }

    struct Burst: Sendable {
        /// Indices into the scenario's commands.
        var commands: Range<Int>
        /// The commands partition the burst is limited to; nil when it touches every contact.
        var partition: Int32?
    }

    /// One status change as the results and `StatusChanged` events report it.
    struct StatusChange: Sendable, Hashable, CustomStringConvertible {
        var from: RelationshipStatus
        var to: RelationshipStatus
        var fromStage: LifecycleStage
        var toStage: LifecycleStage

        var description: String { "\(from.rawValue)→\(to.rawValue) (\(fromStage.rawValue)→\(toStage.rawValue))" }
    }

    /// What the serial model answers to one `UpdateStatus`.
    enum StatusOutcome: Sendable, Equatable, CustomStringConvertible {
        case changed(StatusChange)
        /// 400 with this `detail`.
        case refused(String)

        var description: String {
            switch self {
            case .changed(let change): "200 \(change)"
            case .refused(let detail): "400 \(detail)"
            }
        }
    }

    /// The commands and the final state they must leave (for ``FinalStateCheck``).
    let scenario: Scenario
    let bursts: [Burst]
    let steps: [Step]
    /// The commands partition of each contact, by contact.
    let partitions: [UUID: Int32]
    /// The model's answer to every `UpdateStatus`, by command id.
    let statusOutcomes: [String: StatusOutcome]
    /// The contact version every accepted command reaches (its event's `contactversion`), by command id.
    let versions: [String: Int]
    /// Every command id of each contact, in stream order (its results come in this order).
    let commandsByContact: [UUID: [String]]
    /// Each contact's status changes in order (its `StatusChanged` events).
    let chains: [UUID: [StatusChange]]

    /// Builds the script: `contacts` contacts, about `rounds` rounds of churn after their creation.
    /// `partition` is the commands partition the harness sends a contact's commands to.
    init(seed: UInt64, contacts contactCount: Int, rounds: Int, token: String, partition: (String) -> Int32) {
        var random = SeededGenerator(seed: seed)
        var builder = Builder(token: token, contacts: contactCount, partition: partition)
        var bursts = [builder.createAll(random: &random)]
        var steps: [Step] = [.send(burst: 0), .waitIdle]
        let usedPartitions = Set(builder.contactPartitions).sorted()
        var members = Self.initialMembers

        func change(_ random: inout SeededGenerator) -> Change {
            var options: [Change] = [.kill(member: 0, restart: true), .stop(member: 0, restart: true)]
            if members < Self.maximumMembers { options.append(.add) }
            if members > Self.minimumMembers {
                options += [.kill(member: 0, restart: false), .stop(member: 0, restart: false)]
            }
            let member = random.below(members)
            switch options[random.below(options.count)] {
            case .kill(_, let restart):
                if !restart { members -= 1 }
                return .kill(member: member, restart: restart)
            case .stop(_, let restart):
                if !restart { members -= 1 }
                return .stop(member: member, restart: restart)
            case .add:
                members += 1
                return .add
            }
        }
        func burst(_ partition: Int32?, steps count: Int, _ random: inout SeededGenerator) -> Int {
            bursts.append(builder.burst(partition: partition, steps: count, random: &random))
            return bursts.count - 1
        }

        var round = 0
        while round < rounds {
            let roll = random.below(100)
            if round == 1 || roll < 15 {
                // A handover (three rounds' worth).
                let shared = usedPartitions[random.below(usedPartitions.count)]
                steps.append(.waitIdle)
                if members == Self.maximumMembers {
                    steps += [.change(.stop(member: random.below(members), restart: false)), .waitSettled]
                    members -= 1
                }
                steps += [.send(burst: burst(shared, steps: 2, &random)), .waitIdle, .takeOver(partition: shared)]
                steps += [.send(burst: burst(shared, steps: 2, &random)), .waitIdle]
                let perStep = max(1, builder.contactPartitions.filter { $0 == shared }.count) * 5 / 2
                let backlog = burst(shared, steps: max(4, (Self.backlogCommands + perStep - 1) / perStep), &random)
                steps += [
                    .handBack(partition: shared, kill: random.below(2) == 0), .send(burst: backlog), .waitIdle,
                    .pause(milliseconds: 500),
                ]
                round += 3
            } else if roll < 50 {
                // A quiet round: a change while every worker is idle.
                steps += [
                    .waitIdle, .change(change(&random)), .waitSettled, .pause(milliseconds: 300 + random.below(700)),
                ]
                round += 1
            } else {
                // A busy round: a burst, mostly with a change in the middle of it.
                let onePartition = random.below(10) < 3
                let partition = onePartition ? usedPartitions[random.below(usedPartitions.count)] : nil
                steps.append(.send(burst: burst(partition, steps: onePartition ? 2 + random.below(5) : 1, &random)))
                if random.below(10) < 8 {
                    steps += [.pause(milliseconds: random.below(1_500)), .change(change(&random))]
                }
                steps.append(.pause(milliseconds: 1_000 + random.below(2_000)))
                round += 1
            }
        }

        scenario = Scenario(
            seed: seed, commands: builder.commands, expectedStatus: builder.expectedStatus, contacts: builder.contacts)
        self.bursts = bursts
        self.steps = steps
        partitions = Dictionary(uniqueKeysWithValues: zip(builder.contacts.map(\.id), builder.contactPartitions))
        statusOutcomes = builder.statusOutcomes
        versions = builder.versions
        commandsByContact = Dictionary(uniqueKeysWithValues: zip(builder.contacts.map(\.id), builder.commandsByContact))
        chains = Dictionary(uniqueKeysWithValues: zip(builder.contacts.map(\.id), builder.chains))
    }
}

/// Writes the commands and runs the serial model as it goes.
private struct Builder {
    /// One status step's move, or an interaction.
    enum Operation {
        case interaction
        case status
    }

    static let interactionTypes = [
        "call", "email", "meeting", "proposal", "quote", "contract", "service", "follow_up", "note",
    ]
    /// The step a walk prefers from each status (the table allows it).
    static let forward: [RelationshipStatus: RelationshipStatus] = [
        .prospect: .qualifiedLead, .qualifiedLead: .opportunity, .opportunity: .activeClient,
        .activeClient: .pastClient,
        .pastClient: .inactive, .lostLead: .prospect, .inactive: .prospect,
    ]
    static let start = Int64(1_704_067_200)  // 2024-01-01T00:00:00Z

    let token: String
    let contactIDs: [String]
    let contactPartitions: [Int32]
    var commands: [TestCommand] = []
    var expectedStatus: [String: Int] = [:]
    var contacts: [Scenario.ContactExpectation] = []
    var statusOutcomes: [String: ChurnPlan.StatusOutcome] = [:]
    var versions: [String: Int] = [:]
    var commandsByContact: [[String]]
    var chains: [[ChurnPlan.StatusChange]]

    init(token: String, contacts count: Int, partition: (String) -> Int32) {
        self.token = token
        contactIDs = (0..<count).map { String(format: "00000000-0000-4000-c400-%012d", $0) }
        contactPartitions = contactIDs.map(partition)
        commandsByContact = Array(repeating: [], count: count)
        chains = Array(repeating: [], count: count)
    }

    /// The next command's `issued_at`: one second after the one before, so strictly increasing
    /// per contact.
    private var issuedAt: Timestamp {
        Timestamp(microsecondsSinceEpoch: (Self.start + Int64(commands.count)) * 1_000_000)
    }

    private mutating func append(_ command: TestCommand, contact: Int, status: Int) {
        commands.append(command)
        expectedStatus[command.commandID] = status
        commandsByContact[contact].append(command.commandID)
    }

    /// Records an accepted command of `contact` (its state already updated).
    private mutating func accept(_ commandID: String, contact: Int) {
        contacts[contact].acceptedCommands.append(commandID)
        versions[commandID] = contacts[contact].history + contacts[contact].interactions
    }

    mutating func createAll(random: inout SeededGenerator) -> ChurnPlan.Burst {
        let first = commands.count
        for (index, id) in contactIDs.enumerated() {
            let command = TestCommand(
                commandID: random.uuidString(), type: "CreateContact", business: Scenario.business, contactID: id,
                issuedAt: issuedAt.rfc3339,
                payload: #"{"first_name": "Churn", "last_name": "\#(index)", "email": "churn\#(index)@example.com"}"#,
                token: token)
            append(command, contact: index, status: 201)
            contacts.append(
                Scenario.ContactExpectation(
                    id: UUID(uuidString: id)!, status: .prospect, stage: .awareness, interactions: 0, history: 1,
                    lastContacted: nil, acceptedCommands: []))
            accept(command.commandID, contact: index)
        }
        return ChurnPlan.Burst(commands: first..<commands.count, partition: nil)
    }

    /// Walks every contact of `partition` (all when nil) `steps` status steps, with interactions
    /// around each, interleaving the contacts at random.
    mutating func burst(partition: Int32?, steps: Int, random: inout SeededGenerator) -> ChurnPlan.Burst {
        let first = commands.count
        var queues: [(contact: Int, operations: ArraySlice<Operation>)] = []
        for contact in contactIDs.indices where partition == nil || contactPartitions[contact] == partition {
            var operations: [Operation] = []
            for _ in 0..<steps {
                operations += Array(repeating: .interaction, count: random.below(3))
                operations.append(.status)
                operations += Array(repeating: .interaction, count: random.below(2))
            }
            queues.append((contact, operations[...]))
        }
        while !queues.isEmpty {
            let pick = random.below(queues.count)
            let contact = queues[pick].contact
            switch queues[pick].operations.removeFirst() {
            case .interaction: addInteraction(contact: contact, random: &random)
            case .status: updateStatus(contact: contact, random: &random)
            }
            if queues[pick].operations.isEmpty { queues.remove(at: pick) }
        }
        return ChurnPlan.Burst(commands: first..<commands.count, partition: partition)
    }

    private mutating func addInteraction(contact: Int, random: inout SeededGenerator) {
        let timestamp = issuedAt
        let type = Self.interactionTypes[random.below(Self.interactionTypes.count)]
        let command = TestCommand(
            commandID: random.uuidString(), type: "AddInteraction", business: Scenario.business,
            contactID: contactIDs[contact],
            issuedAt: timestamp.rfc3339,
            payload: #"{"type": "\#(type)", "description": "Command \#(commands.count) with contact \#(contact)"}"#,
            token: token)
        append(command, contact: contact, status: 201)
        contacts[contact].interactions += 1
        contacts[contact].lastContacted = timestamp
        accept(command.commandID, contact: contact)
    }

    private mutating func updateStatus(contact: Int, random: inout SeededGenerator) {
        let current = contacts[contact].status
        let stage = contacts[contact].stage
        let roll = random.below(100)
        var target: RelationshipStatus
        var requested: LifecycleStage?
        if roll < 12 {
            // A step the rules refuse (the same status without a stage is one of them).
            let refused = RelationshipStatus.allCases.filter { !StatusTransitions.isAllowed(from: current, to: $0) }
            target = refused[random.below(refused.count)]
        } else if roll < 20 {
            // A stage-only change.
            target = current
            let others = LifecycleStage.allCases.filter { $0 != stage }
            requested = others[random.below(others.count)]
        } else {
            // Sorted: a Set's order differs between processes, the script must not.
            let allowed = StatusTransitions.allowedTargets(from: current).sorted { $0.rawValue < $1.rawValue }
            target = random.below(10) < 7 ? Self.forward[current] ?? allowed[0] : allowed[random.below(allowed.count)]
            if random.below(100) < 15 {
                requested = LifecycleStage.allCases[random.below(LifecycleStage.allCases.count)]
            }
        }
        let stagePart = requested.map { #", "lifecycle_stage": "\#($0.rawValue)""# } ?? ""
        let command = TestCommand(
            commandID: random.uuidString(), type: "UpdateStatus", business: Scenario.business,
            contactID: contactIDs[contact],
            issuedAt: issuedAt.rfc3339,
            payload:
                #"{"relationship_status": "\#(target.rawValue)"\#(stagePart), "reason": "command \#(commands.count)"}"#,
            token: token)
        switch StatusTransitions.check(from: current, to: target, currentStage: stage, requestedStage: requested) {
        case .success(let newStage):
            append(command, contact: contact, status: 200)
            let change = ChurnPlan.StatusChange(from: current, to: target, fromStage: stage, toStage: newStage)
            statusOutcomes[command.commandID] = .changed(change)
            chains[contact].append(change)
            contacts[contact].status = target
            contacts[contact].stage = newStage
            contacts[contact].history += 1
            accept(command.commandID, contact: contact)
        case .failure(let error):
            append(command, contact: contact, status: 400)
            statusOutcomes[command.commandID] = .refused(error.message)
        }
    }
}
