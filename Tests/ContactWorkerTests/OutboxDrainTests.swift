import ContactStore
import ContactWorker
import Foundation
import Kafka
import Testing

@Suite("Draining the outbox at start and on assignment")
struct OutboxDrainTests {
    @Test("a drain ends at the end of the outbox it found, although other workers keep committing rows")
    func drainEndsWhileOthersCommit() async throws {
        guard let harness = try await WorkerHarness.make(.sqlite) else { return }
        defer { Task { await harness.close() } }
        // 25 rows left behind by a run that crashed before publishing them.
        var left = StoreBatch()
        left.outbox = (0..<25).map { Self.row(harness.topics.events, "left-\($0)") }
        try await harness.store.apply(left)

        let store = BusyOutboxStore(base: harness.store, topic: harness.topics.events)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: harness.cluster.bootstrapServers), logger: testLogger)
        let publisher = OutboxPublisher(store: store, producer: producer, logger: testLogger)
        // Pages of 10: 10 (of 26), 10 (of 17), then 8 (of 8), a short page: the end as found.
        let drained = try await within(30, "the drain to end") { try await publisher.drain(pageSize: 10) }
        await producer.shutdown()
        #expect(drained == 28)
        #expect(try await harness.store.pendingOutboxCount() == 0)
        #expect(try await harness.messageCount(harness.topics.events) == 28)
    }

    static func row(_ topic: String, _ value: String) -> OutboxMessage {
        OutboxMessage(topic: topic, key: Array("contact".utf8), value: Array(value.utf8), headers: [], contactID: nil)
    }
}

/// The harness's store while another worker of the group commits a batch with one outbox row
/// just before every page this worker reads.
private final class BusyOutboxStore: ForwardingStore {
    let base: any ContactStore
    let topic: String
    private let committed = Locked(0)

    init(base: any ContactStore, topic: String) {
        self.base = base
        self.topic = topic
    }

    func pendingOutbox(limit: Int) async throws -> [OutboxMessage] {
        let number = committed.withLock { count -> Int in
            count += 1
            return count
        }
        var batch = StoreBatch()
        batch.outbox = [OutboxDrainTests.row(topic, "other-\(number)")]
        try await base.apply(batch)
        return try await base.pendingOutbox(limit: limit)
    }
}
