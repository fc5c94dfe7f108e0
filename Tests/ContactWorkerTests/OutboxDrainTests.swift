import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

@Suite("Draining the outbox at start, on assignment and after a failed write")
struct OutboxDrainTests {
    @Test(
        "a drain covers the rows that existed when it started and ends, although a peer commits a page of rows before every page it reads"
    )
    func drainEndsWhilePeersCommit() async throws {
        try await withHarness(.sqlite) { harness in
            // 25 rows of partition 0 left behind by a run that crashed before publishing them.
            var left = StoreBatch()
            left.outbox = (0..<25).map { Self.row(harness.topics.events, "left-\($0)", partition: 0) }
            try await harness.store.apply(left)

            // The peer is a worker of the previous build: its rows have no source partition, so every
            // drain's selection includes them.
            let store = BusyOutboxStore(base: harness.store, topic: harness.topics.events, rowsPerPage: 10)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: harness.cluster.bootstrapServers),
                logger: testLogger)
            let publisher = OutboxPublisher(store: store, producer: producer, logger: testLogger)
            // Pages of 10 (of the 25 there at the start): 10, 10, then 5, while the peer adds 10 before each.
            let drained = try await within(30, "the drain to end") {
                try await publisher.drain(sourcePartitions: [0], pageSize: 10)
            }
            await producer.shutdown()
            #expect(drained == 25)
            let published = try await harness.read(harness.topics.events, count: 25).map {
                String(decoding: $0.value, as: UTF8.self)
            }
            #expect(published == (0..<25).map { "left-\($0)" })
            #expect(try await harness.messageCount(harness.topics.events) == 25)
            // The peer's rows, committed after the drain started, wait for their own publisher.
            let pending = try await harness.store.pendingOutbox(limit: 100)
            #expect(pending.count == 30)
            #expect(pending.allSatisfy { String(decoding: $0.value, as: UTF8.self).hasPrefix("peer-") })
        }
    }

    @Test("a drain whose pages are cut by their byte bound goes on to the last row")
    func drainPagesByBytes() async throws {
        try await withHarness(.sqlite) { harness in
            var left = StoreBatch()
            left.outbox = (0..<12).map { Self.row(harness.topics.events, "left-\($0)", partition: 0) }
            try await harness.store.apply(left)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: harness.cluster.bootstrapServers),
                logger: testLogger)
            let publisher = OutboxPublisher(store: harness.store, producer: producer, logger: testLogger)
            // Each row is 13 or 14 bytes: 30 bytes end a page at 3 rows, far below 100 rows.
            let drained = try await within(30, "the drain to end") {
                try await publisher.drain(sourcePartitions: [0], pageSize: 100, pageBytes: 30)
            }
            await producer.shutdown()
            #expect(drained == 12)
            #expect(try await harness.store.pendingOutboxCount() == 0)
            let published = try await harness.read(harness.topics.events, count: 12).map {
                String(decoding: $0.value, as: UTF8.self)
            }
            #expect(published == (0..<12).map { "left-\($0)" })
        }
    }

    @Test(
        "a worker's drains, on assignment and after a failed write, leave the rows of the partition another member owns unpublished",
        arguments: Backend.available)
    func drainsLeaveOtherMembersRows(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 2) { harness in
            let events = harness.topics.events
            // Rows a crashed run left behind, in both partitions.
            var left = StoreBatch()
            left.outbox = (0..<2).flatMap { partition in
                (0..<3).map { Self.row(events, "left-p\(partition)-\($0)", partition: Int32(partition)) }
            }
            try await harness.store.apply(left)

            // Another member holds both partitions; the worker joins and takes one of them.
            let group = "drain-\(UUID().uuidString.prefix(8).lowercased())"
            let member = try KafkaConsumer(
                configuration: harness.groupMemberConfiguration(group: group), logger: testLogger)
            try await member.subscribe(topics: [harness.topics.commands])
            try await eventually(60, "the other member to own both partitions") { member.assignment().count == 2 }
            // The worker's first write fails (so the publish after it drains) and so does its first read
            // of the stored offsets (so its assignment drains twice).
            let worker = try harness.startWorker(group: group, store: FailingOnceStore(harness.store))
            try await eventually(60, "the worker to take a partition") { member.assignment().count == 1 }
            let theirs = try #require(member.assignment().first?.partition)
            let mine = 1 - theirs

            // The other member's batch, written and not yet published while the worker works.
            var inFlight = StoreBatch()
            inFlight.outbox = (0..<3).map { Self.row(events, "in-flight-p\(theirs)-\($0)", partition: theirs) }
            try await harness.store.apply(inFlight)

            // A command on the worker's partition: its first write fails, its publish drains.
            let contact = try #require(
                (1...100).map { String(format: "00000000-0000-4000-a000-%012d", $0) }.first {
                    harness.partition(for: $0) == mine
                })
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"company_name": "Mine"}"#,
                token: try await harness.token())
            try await harness.send([harness.message(create)])
            let results = try await harness.read(harness.topics.results, count: 1).map(PublishedResult.init)
            #expect(results.map(\.commandID) == [create.commandID])
            try await worker.stop()
            await member.close()

            // The worker published the left rows of its partition and its own event, nothing of theirs.
            let published = try await harness.read(events, count: 4).map { String(decoding: $0.value, as: UTF8.self) }
            #expect(Array(published.prefix(3)) == ["left-p\(mine)-0", "left-p\(mine)-1", "left-p\(mine)-2"])
            #expect(try await harness.messageCount(events) == 4)
            let pending = try await harness.store.pendingOutbox(limit: 100)
            #expect(
                pending.map { String(decoding: $0.value, as: UTF8.self) }
                    == (0..<3).map { "left-p\(theirs)-\($0)" } + (0..<3).map { "in-flight-p\(theirs)-\($0)" })
            #expect(pending.allSatisfy { $0.sourcePartition == theirs })
        }
    }

    static func row(_ topic: String, _ value: String, partition: Int32? = nil) -> OutboxMessage {
        OutboxMessage(
            topic: topic, key: Array("contact".utf8), value: Array(value.utf8), headers: [], contactID: nil,
            sourcePartition: partition)
    }
}

/// The harness's store while a peer of the group commits a batch of `rowsPerPage` outbox rows
/// (without a source partition) just before every page this worker reads.
private final class BusyOutboxStore: ForwardingStore {
    let base: any ContactStore
    let topic: String
    let rowsPerPage: Int
    private let committed = Locked(0)

    init(base: any ContactStore, topic: String, rowsPerPage: Int) {
        self.base = base
        self.topic = topic
        self.rowsPerPage = rowsPerPage
    }

    func pendingOutbox(_ selection: OutboxSelection, limit: Int) async throws -> [OutboxMessage] {
        let first = committed.withLock { count -> Int in
            defer { count += rowsPerPage }
            return count
        }
        var batch = StoreBatch()
        batch.outbox = (first..<first + rowsPerPage).map { OutboxDrainTests.row(topic, "peer-\($0)") }
        try await base.apply(batch)
        return try await base.pendingOutbox(selection, limit: limit)
    }
}
