import ContactStore
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Synchronization
import Testing

@testable import ContactWorker

@Suite("Handover to a new owner (docs/contract.md §9)")
struct HandoverTests {
    @Test(
        "a batch the previous owner commits while the new owner publishes what it left is refused, never left pending behind the new owner's work",
        arguments: Backend.available)
    func lateCommitOfPreviousOwner(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 1) { harness in
            let group = "handover-\(UUID().uuidString.prefix(8).lowercased())"
            let commands = harness.topics.commands
            // The previous owner: it claimed the partition and is still writing (paused past its
            // session, say) when the group hands the partition to the worker.
            let previous = try await harness.store.claimPartitions(group: group, topic: commands, partitions: [0])
            let epoch = try #require(previous[0]?.epoch)
            let late = LateCommitStore(
                base: harness.store,
                batch: StoreBatch(
                    outbox: [
                        OutboxMessage(
                            topic: harness.topics.events, key: Array("late".utf8), value: Array("late".utf8),
                            contactID: nil, sourcePartition: 0)
                    ],
                    offsets: [
                        ConsumerOffset(group: group, topic: commands, partition: 0, nextOffset: 0, ownerEpoch: epoch)
                    ]))
            let worker = try harness.startWorker(group: group, store: late)
            try await eventually(30, "the worker to be assigned the partition") { late.attempted }

            // Either the store refused the late batch (the worker had claimed the partition first)
            // or its rows were published: nothing may stay pending behind the worker's own.
            try await eventually(10, "no outbox row left pending") {
                try await harness.store.pendingOutboxCount() == 0
            }
            try await worker.stop()
            #expect(late.refused, "the previous owner's epoch must be fenced by the time the worker drains")
        }
    }
}

/// The harness's store, where a previous owner commits `batch` just after the worker's assignment
/// drain read how far the outbox goes (the first drain of a partition, not the start-up drain).
private final class LateCommitStore: ForwardingStore, Sendable {
    let base: any ContactStore
    let batch: StoreBatch
    private let state = Mutex((calls: 0, attempted: false, refused: false))

    init(base: any ContactStore, batch: StoreBatch) {
        self.base = base
        self.batch = batch
    }

    var attempted: Bool { state.withLock { $0.attempted } }
    var refused: Bool { state.withLock { $0.refused } }

    func lastOutboxSequence() async throws -> Int64? {
        let last = try await base.lastOutboxSequence()
        // The first call is the start-up drain, the second the assignment's.
        let isAssignment = state.withLock { state -> Bool in
            state.calls += 1
            return state.calls == 2
        }
        guard isAssignment else { return last }
        do {
            _ = try await base.apply(batch)
        } catch StoreError.fenced {
            state.withLock { $0.refused = true }
        }
        state.withLock { $0.attempted = true }
        return last
    }
}
