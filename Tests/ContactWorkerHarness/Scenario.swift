import ContactDomain
import ContactWorkerTestSupport
import Foundation

/// A reproducible stream of commands for the process-level tests (crash safety, scale-out, fault
/// recovery), and the state it must leave behind, computed from the commands alone.
///
/// Every contact is created first; then a seeded mix of `AddInteraction` (75 %) and `UpdateStatus`
/// (25 %, random targets, some with a lifecycle stage) across all contacts follows. Many status
/// changes break the transition table on purpose, so the stream holds 201s, 200s and 400s. Each
/// command carries its own `issued_at` (one second apart, in stream order), so the expected
/// `last_contacted` of a contact is the time of its last interaction.
public struct Scenario: Sendable {
    /// What one contact must look like once every command was applied exactly once.
    public struct ContactExpectation: Sendable {
        public var id: UUID
        public var status: RelationshipStatus
        public var stage: LifecycleStage
        public var interactions: Int
        /// 1 (creation) + accepted status changes.
        public var history: Int
        public var lastContacted: Timestamp?
        /// The accepted commands about this contact, in order: one event each, in this order.
        public var acceptedCommands: [String]

        public init(
            id: UUID, status: RelationshipStatus, stage: LifecycleStage, interactions: Int, history: Int,
            lastContacted: Timestamp?, acceptedCommands: [String]
        ) {
            self.id = id
            self.status = status
            self.stage = stage
            self.interactions = interactions
            self.history = history
            self.lastContacted = lastContacted
            self.acceptedCommands = acceptedCommands
        }
    }

    public static let business = "biz-1"

    public let seed: UInt64
    public let commands: [TestCommand]
    /// The result status every command must get, by `command_id`.
    public let expectedStatus: [String: Int]
    /// The expected final state of every contact, in creation order.
    public let contacts: [ContactExpectation]

    /// The commands whose results are successes (and which therefore publish exactly one event).
    public var acceptedCount: Int { contacts.reduce(0) { $0 + $1.acceptedCommands.count } }

    /// Builds `total` commands over `contactCount` contacts, all signed with `token`.
    public init(contacts contactCount: Int, total: Int, seed: UInt64, token: String) {
        precondition(total >= contactCount)
        var random = SeededGenerator(seed: seed)
        let start = Int64(1_704_067_200)  // 2024-01-01T00:00:00Z
        var commands: [TestCommand] = []
        var expectedStatus: [String: Int] = [:]
        var state: [ContactExpectation] = []
        commands.reserveCapacity(total)

        func issuedAt(_ index: Int) -> (String, Timestamp) {
            let timestamp = Timestamp(microsecondsSinceEpoch: (start + Int64(index)) * 1_000_000)
            return (timestamp.rfc3339, timestamp)
        }

        for contact in 0..<contactCount {
            let id = String(format: "00000000-0000-4000-b000-%012d", contact)
            let commandID = random.uuidString()
            let (issued, _) = issuedAt(commands.count)
            commands.append(
                TestCommand(
                    commandID: commandID, type: "CreateContact", business: Self.business, contactID: id,
                    issuedAt: issued,
                    payload:
                        #"{"first_name": "Contact", "last_name": "\#(contact)", "email": "c\#(contact)@example.com"}"#,
                    token: token))
            expectedStatus[commandID] = 201
            state.append(
                ContactExpectation(
                    id: UUID(uuidString: id)!, status: .prospect, stage: .awareness, interactions: 0, history: 1,
                    lastContacted: nil, acceptedCommands: [commandID]))
        }

        let interactionTypes = [
            "call", "email", "meeting", "proposal", "quote", "contract", "service", "follow_up", "note",
        ]
        let statuses = RelationshipStatus.allCases
        let stages = LifecycleStage.allCases
        while commands.count < total {
            let index = Int(random.next() % UInt64(contactCount))
            let id = String(format: "00000000-0000-4000-b000-%012d", index)
            let commandID = random.uuidString()
            let (issued, timestamp) = issuedAt(commands.count)
            if random.next() % 4 != 0 {
                let type = interactionTypes[Int(random.next() % UInt64(interactionTypes.count))]
                commands.append(
                    TestCommand(
                        commandID: commandID, type: "AddInteraction", business: Self.business, contactID: id,
                        issuedAt: issued,
                        payload:
                            #"{"type": "\#(type)", "description": "Step \#(commands.count) with contact \#(index)"}"#,
                        token: token))
                expectedStatus[commandID] = 201
                state[index].interactions += 1
                state[index].lastContacted = timestamp
                state[index].acceptedCommands.append(commandID)
            } else {
                let target = statuses[Int(random.next() % UInt64(statuses.count))]
                let requestedStage = random.next() % 5 == 0 ? stages[Int(random.next() % UInt64(stages.count))] : nil
                let stagePart = requestedStage.map { #", "lifecycle_stage": "\#($0.rawValue)""# } ?? ""
                commands.append(
                    TestCommand(
                        commandID: commandID, type: "UpdateStatus", business: Self.business, contactID: id,
                        issuedAt: issued,
                        payload:
                            #"{"relationship_status": "\#(target.rawValue)"\#(stagePart), "reason": "step \#(commands.count)"}"#,
                        token: token))
                switch StatusTransitions.check(
                    from: state[index].status, to: target, currentStage: state[index].stage,
                    requestedStage: requestedStage)
                {
                case .success(let stage):
                    expectedStatus[commandID] = 200
                    state[index].status = target
                    state[index].stage = stage
                    state[index].history += 1
                    state[index].acceptedCommands.append(commandID)
                case .failure:
                    expectedStatus[commandID] = 400
                }
            }
        }
        self.seed = seed
        self.commands = commands
        self.expectedStatus = expectedStatus
        self.contacts = state
    }

    /// A scenario built elsewhere (the churn test's serial model), so `FinalStateCheck` (process tests) can
    /// check it: `expectedStatus` must hold every command, `contacts` every contact the commands
    /// create, with `acceptedCommands` in command order.
    public init(seed: UInt64, commands: [TestCommand], expectedStatus: [String: Int], contacts: [ContactExpectation]) {
        self.seed = seed
        self.commands = commands
        self.expectedStatus = expectedStatus
        self.contacts = contacts
    }

    /// `CONTACT_WORKER_TEST_SEED` when set (to replay a failure), else a fresh random seed.
    public static func seed() -> UInt64 {
        TestEnvironment.value("CONTACT_WORKER_TEST_SEED").flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
    }

    /// The commands in consecutive chunks of `size`, in stream order (for sending while workers run).
    public func chunks(of size: Int) -> [ArraySlice<TestCommand>] {
        stride(from: 0, to: commands.count, by: size).map { commands[$0..<min($0 + size, commands.count)] }
    }
}
