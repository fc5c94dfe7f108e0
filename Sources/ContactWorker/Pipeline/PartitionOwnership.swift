import Kafka
import Synchronization

/// Which partitions this worker owns right now, and whether a batch is being processed.
///
/// The consume loop and the rebalance hooks meet here. A batch takes only the messages of
/// partitions still owned, atomically with marking itself in flight; a revoke removes the
/// partitions first and then waits for the in-flight batch. So a revoked partition's messages are
/// either finished before the revoke returns or never started.
final class PartitionOwnership: Sendable {
    private struct State {
        var owned: Set<TopicPartition> = []
        var inFlight = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func assign(_ partitions: [TopicPartition]) {
        state.withLock { $0.owned.formUnion(partitions) }
    }

    /// Removes `partitions` and waits until no batch is in flight.
    func revoke(_ partitions: [TopicPartition]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                state.owned.subtract(partitions)
                if state.inFlight {
                    state.idleWaiters.append(continuation)
                    return false
                }
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Starts a batch: the messages of owned partitions, in order.
    func begin(_ messages: [KafkaMessage]) -> [KafkaMessage] {
        state.withLock { state in
            state.inFlight = true
            return messages.filter { state.owned.contains($0.topicPartition) }
        }
    }

    /// The messages of `messages` whose partitions are still owned (a retry after a revoke).
    func stillOwned(_ messages: [KafkaMessage]) -> [KafkaMessage] {
        state.withLock { state in messages.filter { state.owned.contains($0.topicPartition) } }
    }

    /// Ends the batch and releases any revoke waiting for it.
    func end() {
        let waiters = state.withLock { state in
            state.inFlight = false
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
