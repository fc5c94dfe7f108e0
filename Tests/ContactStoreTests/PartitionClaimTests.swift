import ContactDomain
import ContactStore
import Foundation
import Testing

/// Claiming partitions and the owner-epoch fence: a worker whose partition was taken over cannot
/// write a batch of it afterwards.
@Suite("Partition claims and the owner-epoch fence (every backend)")
struct PartitionClaimTests {
    static let group = "workers"
    static let topic = "contacts.commands"

    private func offset(_ partition: Int32, next: Int64, first: Int64? = nil, epoch: Int64?) -> ConsumerOffset {
        ConsumerOffset(
            group: Self.group, topic: Self.topic, partition: partition, nextOffset: next,
            firstOffset: first ?? next - 1,
            ownerEpoch: epoch)
    }

    @Test("each claim raises the epoch and reads where the partition resumes", arguments: Backend.available)
    func claimsRaiseTheEpoch(backend: Backend) async throws {
        try await withStore(backend) { store in
            let first = try await store.claimPartitions(group: Self.group, topic: Self.topic, partitions: [0, 1])
            #expect(
                first == [0: PartitionClaim(epoch: 1, nextOffset: nil), 1: PartitionClaim(epoch: 1, nextOffset: nil)])
            // Claimed but never written: no stored offset to resume from.
            #expect(try await store.offsets(group: Self.group, topic: Self.topic).isEmpty)

            try await store.apply(StoreBatch(offsets: [offset(0, next: 10, first: 4, epoch: 1)]))
            let second = try await store.claimPartitions(group: Self.group, topic: Self.topic, partitions: [0])
            #expect(second == [0: PartitionClaim(epoch: 2, nextOffset: 10)])
            #expect(try await store.offsets(group: Self.group, topic: Self.topic) == [0: 10])
            #expect(try await store.firstOffsets(group: Self.group, topic: Self.topic) == [0: 4])
            // Another group's claim is its own.
            #expect(try await store.claimPartitions(group: "others", topic: Self.topic, partitions: [0])[0]?.epoch == 1)
        }
    }

    @Test("a batch under an epoch that was claimed since is refused whole", arguments: Backend.available)
    func staleEpochIsRefused(backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.claimPartitions(group: Self.group, topic: Self.topic, partitions: [0, 1])
            // Another worker claims partition 1; the first worker still holds epoch 1 for both.
            _ = try await store.claimPartitions(group: Self.group, topic: Self.topic, partitions: [1])

            let contact = Fixtures.contact()
            let command = Fixtures.processed(contactID: contact.id)
            let stale = StoreBatch(
                contacts: [contact], statusHistory: [Fixtures.historyEntry(contactID: contact.id)],
                processedCommands: [command], outbox: [Fixtures.outbox(contactID: contact.id, value: "late")],
                offsets: [offset(0, next: 5, epoch: 1), offset(1, next: 7, epoch: 1)])
            let error = await #expect(throws: StoreError.self) { try await store.apply(stale) }
            guard case .fenced(_, let topic, let partitions)? = error else {
                Issue.record("expected a fenced error, got \(String(describing: error))")
                return
            }
            #expect(topic == Self.topic)
            #expect(partitions == [1])
            #expect(error?.isRetriable == false)
            // Nothing of the batch was applied, not even its partition 0 part.
            #expect(try await store.contact(id: contact.id, businessID: Fixtures.business) == nil)
            #expect(try await store.processedCommands(ids: [command.commandID]).isEmpty)
            #expect(try await store.pendingOutboxCount() == 0)
            #expect(try await store.offsets(group: Self.group, topic: Self.topic).isEmpty)

            // The new owner's batch names the current epoch and is stored.
            try await store.apply(StoreBatch(processedCommands: [command], offsets: [offset(1, next: 7, epoch: 2)]))
            #expect(try await store.offsets(group: Self.group, topic: Self.topic) == [1: 7])
        }
    }

    @Test("a fenced offset still only moves forward", arguments: Backend.available)
    func fencedOffsetsOnlyMoveForward(backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.claimPartitions(group: Self.group, topic: Self.topic, partitions: [3])
            try await store.apply(StoreBatch(offsets: [offset(3, next: 50, epoch: 1)]))
            try await store.apply(StoreBatch(offsets: [offset(3, next: 20, epoch: 1)]))
            #expect(try await store.offsets(group: Self.group, topic: Self.topic) == [3: 50])
            #expect(try await store.firstOffsets(group: Self.group, topic: Self.topic) == [3: 49])
        }
    }
}
