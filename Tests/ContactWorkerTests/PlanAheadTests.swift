import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Synchronization
import Testing

@Suite("Planning ahead (a batch planned on top of one still being written)")
struct PlanAheadTests {
    @Test(
        "a batch planned on top of an unwritten one sees its contacts as they left them and its commands as processed",
        arguments: [Backend.sqlite, .postgres])
    func plannedOnTopOfUnwritten(backend: Backend) async throws {
        try await withHarness(backend) { harness in
            let token = try await harness.token()
            // `written` is in the store at version 1; the unwritten batch takes it to version 2 and
            // creates `unwritten`.
            let written = "00000000-0000-4000-e000-00000000a001"
            let unwritten = "00000000-0000-4000-e000-00000000a002"
            func create(_ contact: String) -> TestCommand {
                TestCommand(
                    type: "CreateContact", contactID: contact, payload: #"{"company_name": "Planned"}"#, token: token)
            }
            func call(_ contact: String, at issued: String) -> TestCommand {
                TestCommand(
                    type: "AddInteraction", contactID: contact, issuedAt: issued,
                    payload: #"{"type": "call", "description": "A call"}"#, token: token)
            }
            func records(_ commands: [TestCommand], from offset: Int64) -> [KafkaMessage] {
                commands.enumerated().map { index, command in
                    let outgoing = harness.message(command)
                    return KafkaMessage(
                        topic: outgoing.topic, partition: outgoing.partition ?? 0, offset: offset + Int64(index),
                        key: outgoing.key, value: outgoing.value, headers: outgoing.headers)
                }
            }
            func results(_ plan: CommandBatchProcessor.Plan) throws -> [JSONValue] {
                try plan.batch.outbox.filter { $0.topic == harness.topics.results }.map {
                    try JSONValue.parse($0.value)
                }
            }
            let processor = CommandBatchProcessor(
                context: .init(store: harness.store, verifier: harness.verifier, topics: harness.topics, group: "g"))
            let now = Timestamp(microsecondsSinceEpoch: 1_704_897_000_000_000)
            let creation = try await processor.plan(records([create(written)], from: 0), now: now)
            _ = try await harness.store.apply(creation.batch)
            let firstCall = call(written, at: "2024-01-10T14:31:00Z")
            let planned = try await processor.plan(records([firstCall, create(unwritten)], from: 1), now: now)
            let secondCall = call(written, at: "2024-01-10T14:32:00Z")
            let next = records([secondCall, call(unwritten, at: "2024-01-10T14:33:00Z"), firstCall], from: 3)

            let onTop = try await processor.plan(next, now: now, unwritten: UnwrittenState(planned: planned.batch))
            #expect(try results(onTop).map { $0["status"]?.intValue } == [201, 201, 201])
            #expect(try results(onTop).map { $0["duplicate"]?.boolValue } == [false, false, true])
            #expect(try results(onTop).last?["body"] == (try results(planned).first?["body"]))
            #expect(onTop.batch.contacts.map(\.version) == [3, 2])
            #expect(onTop.batch.processedCommands.count == 2)

            // Against the store alone: `written` is at version 1, `unwritten` is unknown, and the
            // first call is new.
            let alone = try await processor.plan(next, now: now)
            #expect(try results(alone).map { $0["status"]?.intValue } == [201, 404, 201])
            #expect(try results(alone).map { $0["duplicate"]?.boolValue } == [false, false, false])
            #expect(alone.batch.contacts.map(\.version) == [3])
        }
    }

    @Test("a batch planned on top of one whose write fails is planned again against what was really written")
    func planOnFailedWriteIsDiscarded() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let token = try await harness.token()
            let contact = "00000000-0000-4000-b000-000000000001"
            func filler(_ index: Int) -> TestCommand {
                TestCommand(
                    type: "CreateContact", contactID: String(format: "00000000-0000-4000-c000-%012d", index),
                    payload: #"{"company_name": "Filler \#(index)"}"#, token: token)
            }
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"company_name": "Planned Co"}"#, token: token)
            let qualify = TestCommand(
                type: "UpdateStatus", contactID: contact, issuedAt: "2024-01-10T14:31:00Z",
                payload: #"{"relationship_status": "qualified_lead"}"#, token: token)
            let advance = TestCommand(
                type: "UpdateStatus", contactID: contact, issuedAt: "2024-01-10T14:32:00Z",
                payload: #"{"relationship_status": "opportunity"}"#, token: token)
            // Batches of at most 300 (all planned ahead: above planAheadMinimum) on a pre-loaded
            // topic: `advance` comes one or two batches after `qualify`, and is planned while the
            // batch holding `qualify` is written. That write fails for good, so `qualify` ends up
            // dead-lettered; a plan that still counted it would accept `advance`.
            let commands =
                [create] + (0..<400).map(filler) + [qualify] + (400..<700).map(filler) + [advance]
                + (700..<1_000).map(filler)
            try await harness.send(commands.map(harness.message))

            let store = RefusingStore(harness.store, refusing: qualify.commandID)
            let worker = try harness.startWorker(store: store, maxBatchSize: 300)
            let results = try await harness.read(harness.topics.results, count: commands.count - 1).map(
                PublishedResult.init)
            let letters = try await harness.read(harness.topics.deadLetters, count: 1)
            try await worker.stop()

            #expect(store.refusals >= 2, "refused in its batch, then alone: \(store.refusals)")
            #expect(letters.first?.header("x-original-offset") == "401")
            #expect(results.map(\.commandID) == commands.filter { $0.commandID != qualify.commandID }.map(\.commandID))
            let advanced = try #require(results.first { $0.commandID == advance.commandID })
            #expect(advanced.status == 400)
            #expect(
                advanced.body
                    == (try JSONValue.parse(
                        Array(
                            #"{"detail": "Invalid status transition: cannot move from prospect to opportunity"}"#.utf8)))
            )
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
            #expect(stored?.relationshipStatus == .prospect)
            #expect(results.filter { $0.status != 201 }.map(\.commandID) == [advance.commandID])
        }
    }
}

extension PlanAheadTests {
    @Test("a batch taken behind one that gave up its partition (revoked while retrying) does not write past it")
    func noOffsetsPastAnAbandonedBatch() async throws {
        try await withHarness(.sqlite, commandPartitions: 2) { harness in
            let token = try await harness.token()
            // 1,000 commands, all on partition 0; the batch holding `stuck` (offset 350) meets a
            // database outage that lasts until the test ends it.
            var commands = (0..<1_000).map { index in
                TestCommand(
                    type: "CreateContact", contactID: String(format: "00000000-0000-4000-d000-%012d", index),
                    payload: #"{"company_name": "Queued \#(index)"}"#, token: token)
            }
            for index in commands.indices { commands[index].partition = 0 }
            let stuck = commands[350].commandID
            try await harness.send(commands.map(harness.message))

            let store = StallingStore(harness.store, stalling: stuck)
            let group = "abandon-\(UUID().uuidString.prefix(8).lowercased())"
            let worker = try harness.startWorker(group: group, store: store, maxBatchSize: 300)
            // The batch holding `stuck` retries; the one behind it is already taken (planned ahead).
            try await eventually(60, "the outage to stall a batch") { store.stalls > 0 }
            try await Task.sleep(for: .seconds(1))

            // A second member joins: the worker's revoke makes the retrying batch give up partition 0.
            // The batch behind it must give it up too, or the database would store a position past
            // the batch that was given up, and its commands would never be processed.
            let newcomer = try KafkaConsumer(
                configuration: harness.groupMemberConfiguration(group: group), logger: testLogger)
            try await newcomer.subscribe(topics: [harness.topics.commands])
            try await eventually(60, "the rebalance to give the newcomer a partition") {
                !newcomer.assignment().isEmpty
            }
            let stored = try await harness.store.offsets(group: group, topic: harness.topics.commands)[0] ?? 0
            #expect(stored <= 350, "the stored position went past the command the abandoned batch held: \(stored)")

            // The outage ends and the newcomer leaves: everything is processed, `stuck` included.
            store.stalling = false
            await newcomer.close()
            let results = try await harness.read(harness.topics.results, count: commands.count, seconds: 120).map(
                PublishedResult.init)
            try await worker.stop()
            #expect(Set(results.compactMap(\.commandID)) == Set(commands.map(\.commandID)))
            #expect(try await harness.store.offsets(group: group, topic: harness.topics.commands)[0] == 1_000)
        }
    }
}

extension PlanAheadTests {
    @Test(
        "after a handover a batch is planned against the database, not against what this worker planned before it lost the partition"
    )
    func handoverDropsCarriedState() async throws {
        try await withHarness(.sqlite, commandPartitions: 2) { harness in
            let token = try await harness.token()
            let group = "handover-\(UUID().uuidString.prefix(8).lowercased())"
            // One contact on each partition: a newcomer takes one of the two, and which one depends on
            // the member ids the mock broker makes up (heap addresses, not client.id), so the test
            // follows the contact of whichever partition the newcomer gets.
            let contacts = ["00000000-0000-4000-e000-000000000000", "00000000-0000-4000-e000-000000000001"]
            func command(
                on partition: Int32, contact: String, _ type: String, at issued: String, _ payload: String
            ) -> TestCommand {
                var command = TestCommand(
                    type: type, contactID: contact, issuedAt: issued, payload: payload, token: token)
                command.partition = partition
                return command
            }
            func status(_ partition: Int32, _ status: String, at issued: String) -> TestCommand {
                command(
                    on: partition, contact: contacts[Int(partition)], "UpdateStatus", at: issued,
                    #"{"relationship_status": "\#(status)"}"#)
            }
            let creates = (0..<2).map { partition in
                command(
                    on: Int32(partition), contact: contacts[partition], "CreateContact", at: "2024-01-10T14:30:00Z",
                    #"{"company_name": "Handed Over \#(partition)"}"#)
            }
            let blockerContact = "00000000-0000-4000-e000-0000000000ff"
            let blocker = command(
                on: 0, contact: blockerContact, "CreateContact", at: "2024-01-10T14:30:00Z",
                #"{"company_name": "Blocker"}"#
            )
            let qualifies = (0..<2).map { status(Int32($0), "qualified_lead", at: "2024-01-10T14:31:00Z") }

            // Every batch is planned ahead (a minimum of one message): after an idle spell the
            // consumer hands the first message over alone, and the first batch after the handover
            // must be planned ahead for the test to mean anything.
            let store = PlanHoldingStore(harness.store, holding: try #require(UUID(uuidString: blockerContact)))
            let batches = BatchRecorder()
            let worker = try harness.startWorker(group: group, store: store, planAheadMinimum: 1, observer: batches)
            try await harness.send(creates.map(harness.message))
            _ = try await harness.read(harness.topics.results, count: 2)
            // The worker's last batch before the handover moves both contacts to qualified_lead: the
            // loop is held while planning the batch ahead of it until both are fetched, so the next
            // batch takes them together.
            try await harness.send([harness.message(blocker)])
            try await eventually(60, "the blocker's batch to be held in planning") { store.held }
            try await harness.send(qualifies.map(harness.message))
            try await Task.sleep(for: .seconds(1))
            store.release()
            _ = try await harness.read(harness.topics.results, count: 5)
            try await eventually(60, "the qualifying batch to be published") {
                Set(batches.recorded.joined()).isSuperset(of: qualifies.map(\.commandID))
            }
            try #require(
                Set(batches.recorded.last ?? []) == Set(qualifies.map(\.commandID)),
                "set-up: the two status changes must make the worker's last batch: \(batches.recorded)")

            // A member joins and takes one partition; while it holds it, another worker moves that
            // partition's contact to opportunity (state, result and offset in one transaction, as a
            // worker writes them; its rows published).
            let newcomer = try KafkaConsumer(
                configuration: harness.groupMemberConfiguration(group: group), logger: testLogger)
            try await newcomer.subscribe(topics: [harness.topics.commands])
            try await eventually(60, "the rebalance to give the newcomer a partition") {
                !newcomer.assignment().isEmpty
            }
            let taken = try #require(newcomer.assignment().first).partition
            let contact = contacts[Int(taken)]
            let advance = status(taken, "opportunity", at: "2024-01-10T14:32:00Z")
            try await harness.send([harness.message(advance)])
            let sent = try await harness.read(harness.topics.commands, count: 6)
            let advanceMessage = try #require(
                sent.first { (try? JSONValue.parse($0.value))?["command_id"]?.stringValue == advance.commandID })
            let otherWorker = CommandBatchProcessor(
                context: .init(store: harness.store, verifier: harness.verifier, topics: harness.topics, group: group))
            let now = Timestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000))
            let written = try await otherWorker.plan([advanceMessage], now: now)
            #expect(written.summary.applied == 1)
            try await harness.store.markPublished(sequences: try await harness.store.apply(written.batch))

            // The member leaves; the partition comes back with a backlog that opens with the step
            // after opportunity.
            let promote = status(taken, "active_client", at: "2024-01-10T14:33:00Z")
            let fillers = (0..<9).map { index in
                command(
                    on: taken, contact: String(format: "00000000-0000-4000-f000-%012d", index), "CreateContact",
                    at: "2024-01-10T14:34:00Z", #"{"company_name": "Backlog \#(index)"}"#)
            }
            try await harness.send(([promote] + fillers).map(harness.message))
            await newcomer.close()
            let results = try await harness.read(harness.topics.results, count: 5 + 10).map(PublishedResult.init)
            try await worker.stop()

            let promoted = try #require(results.first { $0.commandID == promote.commandID })
            #expect(promoted.status == 200)
            #expect(
                promoted.body?.canonicalized
                    == (try json(
                        #"""
                        {"contact_id": "\#(contact)", "old_status": "opportunity", "new_status": "active_client",
                         "old_lifecycle_stage": "consideration", "new_lifecycle_stage": "customer", "changed_by": "Ada Owner",
                         "changed_by_id": "u-1", "timestamp": "2024-01-10T14:33:00Z", "reason": null, "notes": null}
                        """#)))
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
            #expect(stored?.relationshipStatus == .activeClient)
            #expect(stored?.lifecycleStage == .customer)
            #expect(try await harness.messageCount(harness.topics.results) == 5 + 10)
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 0)
        }
    }
}

/// Records the command ids of every batch the worker published, in order.
private final class BatchRecorder: WorkerObserver {
    private let batches = Mutex<[[String]]>([])

    var recorded: [[String]] { batches.withLock { $0 } }

    func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration) {
        let ids = messages.map { (try? JSONValue.parse($0.value))?["command_id"]?.stringValue ?? "-" }
        batches.withLock { $0.append(ids) }
    }

    func retrying(_ operation: RetriedOperation, after error: any Error) {}
}

/// The harness's store, except that reading one given contact (planning the batch that holds
/// it) waits until the test releases it: the worker's consume loop stands still meanwhile.
private final class PlanHoldingStore: ForwardingStore {
    let base: any ContactStore
    private let contact: UUID
    private let state = Mutex((holding: true, held: false))

    init(_ base: any ContactStore, holding contact: UUID) {
        self.base = base
        self.contact = contact
    }

    /// Whether a read of the contact is waiting (or has waited).
    var held: Bool { state.withLock { $0.held } }

    func release() { state.withLock { $0.holding = false } }

    func contacts(ids: [UUID]) async throws -> [UUID: Contact] {
        if ids.contains(contact) {
            while state.withLock({ state in
                if state.holding { state.held = true }
                return state.holding
            }) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        return try await base.contacts(ids: ids)
    }
}

/// The harness's store while the database is "down" for every batch holding one given command
/// (a retriable error), until the test ends the outage.
private final class StallingStore: ForwardingStore {
    let base: any ContactStore
    private let stalled: String
    private let state = Mutex((stalling: true, stalls: 0))

    init(_ base: any ContactStore, stalling commandID: String) {
        self.base = base
        self.stalled = commandID
    }

    var stalls: Int { state.withLock { $0.stalls } }
    var stalling: Bool {
        get { state.withLock { $0.stalling } }
        set { state.withLock { $0.stalling = newValue } }
    }

    func apply(_ batch: StoreBatch) async throws -> [Int64] {
        if batch.processedCommands.contains(where: { $0.commandID == stalled }),
            state.withLock({ state in
                if state.stalling { state.stalls += 1 }
                return state.stalling
            })
        {
            throw StoreError.testOutage
        }
        return try await base.apply(batch)
    }
}

/// The harness's store, except that every batch holding one given command fails with a
/// constraint violation (not retriable): the worker must split the batch and dead-letter it.
private final class RefusingStore: ForwardingStore {
    let base: any ContactStore
    private let refused: String
    private let count = Mutex(0)

    init(_ base: any ContactStore, refusing commandID: String) {
        self.base = base
        self.refused = commandID
    }

    /// How many batches were refused.
    var refusals: Int { count.withLock { $0 } }

    func apply(_ batch: StoreBatch) async throws -> [Int64] {
        if batch.processedCommands.contains(where: { $0.commandID == refused }) {
            count.withLock { $0 += 1 }
            throw StoreError.constraintViolation(database: "test", constraint: nil, underlying: "refused by the test")
        }
        return try await base.apply(batch)
    }
}
