import ContactDomain
import ContactStore
import Foundation
import Kafka
import Synchronization
import Testing

@Suite("Planning ahead (a batch planned on top of one still being written)")
struct PlanAheadTests {
    @Test("a batch planned on top of one whose write fails is planned again against what was really written")
    func planOnFailedWriteIsDiscarded() async throws {
        guard let harness = try await WorkerHarness.make(.sqlite, commandPartitions: 1) else { return }
        defer { Task { await harness.close() } }
        let token = try await harness.token()
        let contact = "00000000-0000-4000-b000-000000000001"
        func filler(_ index: Int) -> TestCommand {
            TestCommand(
                type: "CreateContact", contactID: String(format: "00000000-0000-4000-c000-%012d", index),
                payload: #"{"company_name": "Filler \#(index)"}"#, token: token)
        }
        let create = TestCommand(type: "CreateContact", contactID: contact, payload: #"{"company_name": "Planned Co"}"#, token: token)
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
        let commands = [create] + (0..<400).map(filler) + [qualify] + (400..<700).map(filler) + [advance]
            + (700..<1_000).map(filler)
        try await harness.send(commands.map(harness.message))

        let store = RefusingStore(harness.store, refusing: qualify.commandID)
        let worker = try harness.startWorker(store: store, maxBatchSize: 300)
        let results = try await harness.read(harness.topics.results, count: commands.count - 1).map(PublishedResult.init)
        let letters = try await harness.read(harness.topics.deadLetters, count: 1)
        try await worker.stop()

        #expect(store.refusals >= 2, "refused in its batch, then alone: \(store.refusals)")
        #expect(letters.first?.header("x-original-offset") == "401")
        #expect(results.map(\.commandID) == commands.filter { $0.commandID != qualify.commandID }.map(\.commandID))
        let advanced = try #require(results.first { $0.commandID == advance.commandID })
        #expect(advanced.status == 400)
        #expect(
            advanced.body
                == (try JSONValue.parse(Array(#"{"detail": "Invalid status transition: cannot move from prospect to opportunity"}"#.utf8))))
        let stored = try await harness.store.contact(id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
        #expect(stored?.relationshipStatus == .prospect)
        #expect(results.filter { $0.status != 201 }.map(\.commandID) == [advance.commandID])
    }
}

extension PlanAheadTests {
    @Test("a batch taken behind one that gave up its partition (revoked while retrying) does not write past it")
    func noOffsetsPastAnAbandonedBatch() async throws {
        guard let harness = try await WorkerHarness.make(.sqlite, commandPartitions: 2) else { return }
        defer { Task { await harness.close() } }
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
        let newcomer = try KafkaConsumer(configuration: harness.groupMemberConfiguration(group: group), logger: testLogger)
        try await newcomer.subscribe(topics: [harness.topics.commands])
        try await eventually(60, "the rebalance to give the newcomer a partition") { !newcomer.assignment().isEmpty }
        let stored = try await harness.store.offsets(group: group, topic: harness.topics.commands)[0] ?? 0
        #expect(stored <= 350, "the stored position went past the command the abandoned batch held: \(stored)")

        // The outage ends and the newcomer leaves: everything is processed, `stuck` included.
        store.stalling = false
        await newcomer.close()
        let results = try await harness.read(harness.topics.results, count: commands.count, seconds: 120).map(PublishedResult.init)
        try await worker.stop()
        #expect(Set(results.compactMap(\.commandID)) == Set(commands.map(\.commandID)))
        #expect(try await harness.store.offsets(group: group, topic: harness.topics.commands)[0] == 1_000)
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
