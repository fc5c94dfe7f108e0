import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

@Suite("Publishing failures (docs/contract.md §9)")
struct DeliveryFailureTests {
    /// The reason of the fatal error the tests inject, which the worker's stop must carry.
    static let fencedReason = "the idempotent producer was fenced"

    @Test("results and events the broker refused are published again as originals, never as duplicates")
    func refusedDeliveriesArePublishedAgain() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let token = try await harness.token()
            let commands = (0..<10).map { index in
                TestCommand(
                    type: "CreateContact", contactID: String(format: "00000000-0000-4000-a000-%012d", index),
                    payload: #"{"company_name": "Refused \#(index)"}"#, token: token)
            }
            try await harness.send(commands.map(harness.message))
            // The worker's first produce requests are refused for good (not retried by librdkafka),
            // after its batch is already committed to the database.
            try harness.cluster.pushRequestErrors(
                apiKey: .produce, errors: [.topicAuthorizationFailed, .topicAuthorizationFailed])

            let worker = try harness.startWorker()
            let results = try await harness.read(harness.topics.results, count: commands.count).map(
                PublishedResult.init)
            _ = try await harness.read(harness.topics.events, count: commands.count)
            try await worker.stop()

            #expect(try await harness.messageCount(harness.topics.results) == Int64(commands.count))
            #expect(try await harness.messageCount(harness.topics.events) == Int64(commands.count))
            #expect(results.map(\.commandID) == commands.map(\.commandID))
            #expect(results.map(\.status) == Array(repeating: 201, count: commands.count))
            #expect(results.map(\.duplicate) == Array(repeating: false, count: commands.count))
            #expect(try await harness.store.pendingOutbox(limit: 10).isEmpty)
        }
    }

    @Test(
        "a batch whose publishing was abandoned on a revoke is not overtaken by the batches after it: each contact's results and events stay in command order",
        arguments: Backend.available)
    func abandonedPublishingIsNotOvertaken(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 2) { harness in
            let token = try await harness.token()
            let contact = "00000000-0000-4000-a000-000000000001"
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"company_name": "Held Back"}"#, token: token)
            let first = TestCommand(
                type: "AddInteraction", contactID: contact, payload: #"{"type": "call", "description": "First"}"#,
                token: token)
            let second = TestCommand(
                type: "AddInteraction", contactID: contact, payload: #"{"type": "call", "description": "Second"}"#,
                token: token)
            let third = TestCommand(
                type: "AddInteraction", contactID: contact, payload: #"{"type": "call", "description": "Third"}"#,
                token: token)

            // Every publish that carries the first interaction's rows is refused while `holding`.
            let holding = Locked(true)
            let refused = Locked(0)
            let group = "held-\(UUID().uuidString.prefix(8).lowercased())"
            // Every batch is planned ahead, so the loop takes the next batch without waiting for
            // the one before it to be published: three batches are in flight at once.
            let worker = try harness.startWorker(group: group, planAheadMinimum: 1) { rows in
                guard holding.value,
                    rows.contains(where: { String(decoding: $0.value, as: UTF8.self).contains(first.commandID) })
                else {
                    return
                }
                refused.withLock { $0 += 1 }
                throw HeldBack()
            }
            try await harness.send([harness.message(create)])
            _ = try await harness.read(harness.topics.results, count: 1)

            // Batch N (the first interaction) is committed and keeps failing to publish; batches
            // N + 1 and N + 2 (the second and third) are committed behind it and wait for N.
            try await harness.send([harness.message(first)])
            try await eventually(30, "the first interaction's publish to be refused") { refused.value > 0 }
            for later in [second, third] {
                try await harness.send([harness.message(later)])
                try await eventually(30, "a later interaction to be committed") {
                    try await !harness.store.processedCommands(ids: [later.commandID]).isEmpty
                }
            }

            // A second member joins: the worker's revoke waits for all three batches. N gives up
            // (its partition is gone); neither N + 1 nor N + 2 may publish its rows past N's: the
            // partition is no longer theirs to publish. The newcomer gets a partition only once
            // the worker's revoke has returned.
            let newcomer = try KafkaConsumer(
                configuration: harness.groupMemberConfiguration(group: group), logger: testLogger)
            try await newcomer.subscribe(topics: [harness.topics.commands])
            try await eventually(60, "the rebalance to give the newcomer a partition") {
                !newcomer.assignment().isEmpty
            }
            #expect(
                try await harness.messageCount(harness.topics.results) == 1, "nothing may overtake the held-back batch")
            #expect(try await harness.messageCount(harness.topics.events) == 1)

            // Released, and the newcomer leaves: whoever owns the contact publishes what is pending,
            // in order, and a later command of the contact is published as usual after it.
            holding.withLock { $0 = false }
            await newcomer.close()
            let fourth = TestCommand(
                type: "AddInteraction", contactID: contact, payload: #"{"type": "call", "description": "Fourth"}"#,
                token: token)
            try await harness.send([harness.message(fourth)])
            try await eventually(60, "the fourth interaction to be processed and everything published") {
                let processed = try await !harness.store.processedCommands(ids: [fourth.commandID]).isEmpty
                let pending = try await harness.store.pendingOutboxCount()
                return processed && pending == 0
            }
            try await worker.stop()
            let results = try await harness.read(
                harness.topics.results, count: Int(try await harness.messageCount(harness.topics.results))
            ).map(PublishedResult.init)
            let events = try await harness.read(
                harness.topics.events, count: Int(try await harness.messageCount(harness.topics.events))
            ).map { try JSONValue.parse($0.value) }

            let order = [create.commandID, first.commandID, second.commandID, third.commandID, fourth.commandID]
            #expect(firstOccurrences(results.compactMap(\.commandID)) == order)
            #expect(firstOccurrences(events.compactMap { $0["commandid"]?.stringValue }) == order)
            #expect(results.filter { $0.duplicate == true }.isEmpty)
            #expect(refused.value >= 1)
        }
    }

    @Test(
        "a produce request refused for good in the middle of a batch lets none of a contact's later results or events overtake the refused one",
        arguments: Backend.available)
    func partialRefusalKeepsEachContactsOrder(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 1) { harness in
            let token = try await harness.token()
            let contact = "00000000-0000-4000-a000-000000000001"
            let commands =
                [
                    TestCommand(
                        type: "CreateContact", contactID: contact, payload: #"{"company_name": "Refused In Part"}"#,
                        token: token)
                ]
                + (0..<5).map { index in
                    TestCommand(
                        type: "AddInteraction", contactID: contact,
                        payload: #"{"type": "call", "description": "Call \#(index)"}"#,
                        token: token)
                }
            // The first publish holding several of the contact's events arms one refusal of a Produce
            // request, for good (librdkafka does not retry MSG_SIZE_TOO_LARGE). With one record per
            // request, as a batch's records are once they outgrow one request (`batch.size`), the
            // refusal hits one record while requests behind it carry later ones of the contact.
            let armed = Locked(false)
            let cluster = harness.cluster
            let events = harness.topics.events
            let worker = try harness.startWorker(producerProperties: ["batch.num.messages": "1"]) { rows in
                guard rows.count(where: { $0.topic == events }) >= 2 else { return }
                guard
                    armed.withLock({ armed in
                        defer { armed = true }
                        return !armed
                    })
                else { return }
                try cluster.pushRequestErrors(apiKey: .produce, errors: [.messageSizeTooLarge])
            }
            try await harness.send(commands.map(harness.message))
            _ = try await harness.read(harness.topics.results, count: commands.count)
            try await eventually(30, "the outbox to be published") { try await harness.store.pendingOutboxCount() == 0 }
            try await worker.stop()

            let results = try await harness.read(
                harness.topics.results, count: Int(try await harness.messageCount(harness.topics.results))
            ).map(PublishedResult.init)
            let published = try await harness.read(events, count: Int(try await harness.messageCount(events)))
                .map { try JSONValue.parse($0.value) }
            #expect(armed.value)
            // Per contact, each message is first written after all earlier ones: skipping repeated
            // ids, the topics hold the commands' results and events in command order.
            let position = Dictionary(uniqueKeysWithValues: commands.enumerated().map { ($1.commandID, $0) })
            let inOrder = Array(commands.indices)
            #expect(firstOccurrences(results.compactMap(\.commandID)).map { position[$0] ?? -1 } == inOrder)
            #expect(
                firstOccurrences(published.compactMap { $0["commandid"]?.stringValue }).map { position[$0] ?? -1 }
                    == inOrder)
            #expect(results.filter { $0.duplicate == true }.isEmpty)
        }
    }

    @Test("a fatal Kafka error while publishing stops the worker with that error instead of retrying for ever")
    func fatalPublishErrorStopsTheWorker() async throws {
        try await withHarness(.sqlite) { harness in
            let worker = try harness.startWorker(beforeSending: { _ in
                throw KafkaError.deliveryFailed(
                    topic: "results", failure: KafkaFailure(code: .fatal, reason: Self.fencedReason))
            })
            let contact = "00000000-0000-4000-8000-0000000000e5"
            try await harness.send([
                harness.message(
                    TestCommand(
                        type: "CreateContact", contactID: contact, payload: #"{"first_name": "Ada"}"#,
                        token: try await harness.token()))
            ])
            let outcome = try await within(30, "the worker to stop") { await worker.task.result }
            guard case .failure(let error) = outcome else {
                Issue.record("the worker kept running after a fatal error")
                return
            }
            guard case WorkerError.fatalKafkaError(let cause) = error else {
                Issue.record("the worker stopped with \(error), not with the fatal Kafka error")
                return
            }
            #expect(cause.contains(Self.fencedReason), "\(cause)")
            // What was written stays in the outbox for the next start.
            #expect(try await harness.store.pendingOutboxCount() == 2)
        }
    }

    @Test("a fatal error while another batch waits for the database still stops the worker (retries end)")
    func fatalErrorDuringDatabaseOutageStopsTheWorker() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let token = try await harness.token()
            let first = TestCommand(
                type: "CreateContact", contactID: "00000000-0000-4000-8000-0000000000e6",
                payload: #"{"first_name": "Ada"}"#, token: token)
            let second = TestCommand(
                type: "CreateContact", contactID: "00000000-0000-4000-8000-0000000000e7",
                payload: #"{"first_name": "Bo"}"#,
                token: token)
            // The database goes away after the first batch: the second batch retries it for ever.
            let store = OutageAfterFirstBatchStore(base: harness.store)
            let worker = try harness.startWorker(
                store: store,
                beforeSending: { _ in
                    // The first batch's publish fails fatally once the second batch is retrying.
                    while store.refusals == 0 { try await Task.sleep(for: .milliseconds(20)) }
                    throw KafkaError.deliveryFailed(
                        topic: "results", failure: KafkaFailure(code: .fatal, reason: Self.fencedReason))
                })
            try await harness.send([harness.message(first)])
            try await eventually(30, "the first command to be written") {
                try await !harness.store.processedCommands(ids: [first.commandID]).isEmpty
            }
            try await harness.send([harness.message(second)])
            let outcome = try await within(30, "the worker to stop") { await worker.task.result }
            guard case .failure(let error) = outcome else {
                Issue.record("the worker kept running after a fatal error")
                return
            }
            guard case WorkerError.fatalKafkaError(let cause) = error else {
                Issue.record("the worker stopped with \(error), not with the fatal Kafka error")
                return
            }
            #expect(cause.contains(Self.fencedReason), "\(cause)")
            #expect(store.refusals >= 1)
            #expect(try await harness.store.processedCommands(ids: [second.commandID]).isEmpty)
        }
    }

    /// `ids` with repeats dropped (a re-published message keeps its id), in first-seen order.
    private func firstOccurrences(_ ids: [String]) -> [String] {
        var seen: Set<String> = []
        return ids.filter { seen.insert($0).inserted }
    }
}

/// The test's refusal of a publish (``OutboxPublisher/beforeSending``).
private struct HeldBack: Error, CustomStringConvertible {
    var description: String { "held back by the test" }
}

/// The harness's store, with the database "down" for every batch after the first one that
/// holds a command (a retriable error, counted).
private final class OutageAfterFirstBatchStore: ForwardingStore {
    let base: any ContactStore
    private let state = Locked((written: 0, refused: 0))

    init(base: any ContactStore) {
        self.base = base
    }

    var refusals: Int { state.value.refused }

    func apply(_ batch: StoreBatch) async throws -> [Int64] {
        guard !batch.processedCommands.isEmpty else { return try await base.apply(batch) }
        let refuse = state.withLock { state -> Bool in
            if state.written == 0 {
                state.written += 1
                return false
            }
            state.refused += 1
            return true
        }
        if refuse { throw StoreError.testOutage }
        return try await base.apply(batch)
    }
}
