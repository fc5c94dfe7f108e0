import Kafka
import Synchronization

/// Which partitions this worker owns right now, and which batches are still being worked on.
///
/// The consume loop and the rebalance hooks meet here. A batch takes only the messages of
/// partitions still owned, atomically with getting a ticket; a revoke removes the partitions
/// first and then waits until every batch that started before it has ended (committed and
/// published, or abandoned). So a revoked partition's messages are either finished before the
/// revoke returns or never started. Batches end in the order they began (the worker publishes
/// them in order), so "ended through ticket N" is one number.
final class PartitionOwnership: Sendable {
    /// A started batch: its messages (owned partitions only) and its place in the order.
    struct Ticket: Sendable {
        let number: Int
        let messages: [KafkaMessage]
    }

    private struct Waiter {
        let through: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var owned: Set<TopicPartition> = []
        var started = 0
        var endedThrough = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    func assign(_ partitions: [TopicPartition]) {
        state.withLock { $0.owned.formUnion(partitions) }
    }

    /// Removes `partitions` and waits until every batch started so far has ended.
    func revoke(_ partitions: [TopicPartition]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                state.owned.subtract(partitions)
                guard state.endedThrough < state.started else { return true }
                state.waiters.append(Waiter(through: state.started, continuation: continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Starts a batch: the messages of owned partitions, in order.
    func begin(_ messages: [KafkaMessage]) -> Ticket {
        state.withLock { state in
            state.started += 1
            return Ticket(number: state.started, messages: messages.filter { state.owned.contains($0.topicPartition) })
        }
    }

    /// The messages of `messages` whose partitions are still owned (a retry after a revoke).
    func stillOwned(_ messages: [KafkaMessage]) -> [KafkaMessage] {
        state.withLock { state in messages.filter { state.owned.contains($0.topicPartition) } }
    }

    /// Whether every one of `partitions` is still owned.
    func ownsAll(_ partitions: some Sequence<TopicPartition>) -> Bool {
        state.withLock { state in partitions.allSatisfy { state.owned.contains($0) } }
    }

    /// Ends a batch (and, batches ending in order, every one before it); releases the revokes
    /// waiting for it.
    func end(_ ticket: Ticket) {
        let released = state.withLock { state -> [Waiter] in
            state.endedThrough = max(state.endedThrough, ticket.number)
            let through = state.endedThrough
            let released = state.waiters.filter { $0.through <= through }
            state.waiters.removeAll { $0.through <= through }
            return released
        }
        for waiter in released { waiter.continuation.resume() }
    }
}
