import ContactDomain
import ContactStore
import Foundation
import Synchronization

/// The harness's store, except that the first `apply` holding a processed command and the first
/// partition claim (the stored offsets read on assignment) each fail with a retriable "database unavailable": a short outage the worker
/// must back off from and count.
final class FailingOnceStore: ForwardingStore {
    let base: any ContactStore
    private let failed = Mutex((apply: false, offsets: false))

    init(_ base: any ContactStore) {
        self.base = base
    }

    func apply(_ batch: StoreBatch) async throws -> [Int64] {
        if !batch.processedCommands.isEmpty,
            failed.withLock({ state in
                defer { state.apply = true }
                return !state.apply
            })
        {
            throw StoreError.testOutage
        }
        return try await base.apply(batch)
    }

    func claimPartitions(group: String, topic: String, partitions: [Int32]) async throws -> [Int32: PartitionClaim] {
        if failed.withLock({ state in
            defer { state.offsets = true }
            return !state.offsets
        }) {
            throw StoreError.testOutage
        }
        return try await base.claimPartitions(group: group, topic: topic, partitions: partitions)
    }
}
