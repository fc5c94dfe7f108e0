import ContactStore
import Kafka
import Synchronization

/// Which partitions this worker owns right now, and which batches are still being worked on.
///
/// The consume loop and the rebalance hooks meet here. A batch takes only the messages of
/// partitions still owned, atomically with getting a ticket; a revoke removes the partitions
/// first and then waits until every batch that started before it has ended (committed and
/// published, or abandoned).
///
/// - Important: A revoked partition's messages are either finished before the revoke returns or
///   never started. Anything that reads owned partitions across an `await` must check them again
///   (or hold a ticket) afterwards.
///
/// Batches end in the order they began (the worker publishes them in order), so "ended through
/// ticket N" is one number.
///
/// Each owned partition carries the owner epoch its claim got (``PartitionClaim``); the batch's
/// offsets name it, so the store refuses the batch if another worker claimed the partition since.
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
        /// Owned partitions and the owner epoch of each.
        var owned: [TopicPartition: Int64] = [:]
        var generation = 0
        var started = 0
        var endedThrough = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    /// Counts assignment changes: every assign, every revoke (from its start) and every drop
    /// raises it. State a worker read or planned under one generation may have been changed by
    /// another owner under the next.
    var generation: Int {
        state.withLock { $0.generation }
    }

    /// Takes `partitions`, each under the owner epoch its claim got.
    func assign(_ epochs: [TopicPartition: Int64]) {
        state.withLock { state in
            state.owned.merge(epochs) { $1 }
            state.generation += 1
        }
    }

    /// Gives up `partitions` at once, without waiting for batches: for a batch that found them
    /// claimed by another worker (it must not wait for itself). The consumer's next rebalance
    /// revokes them properly; until then their messages are not taken.
    func drop(_ partitions: [TopicPartition]) {
        state.withLock { state in
            for partition in partitions { state.owned[partition] = nil }
            state.generation += 1
        }
    }

    /// `offsets` with the owner epoch of each partition set (see ``ConsumerOffset/ownerEpoch``).
    /// A partition revoked since the caller last checked gets an epoch no claim ever has, so the
    /// store refuses the batch rather than write it without the check.
    func stampingEpochs(_ offsets: [ConsumerOffset]) -> [ConsumerOffset] {
        state.withLock { state in
            offsets.map { offset in
                var offset = offset
                offset.ownerEpoch = state.owned[TopicPartition(offset.topic, offset.partition)] ?? Self.noEpoch
                return offset
            }
        }
    }

    /// Claims start at epoch 1, so no partition is ever at this one.
    static let noEpoch: Int64 = -1

    /// Removes `partitions` and waits until every batch started so far has ended.
    func revoke(_ partitions: [TopicPartition]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                for partition in partitions { state.owned[partition] = nil }
                state.generation += 1
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
            return Ticket(number: state.started, messages: messages.filter { state.owned[$0.topicPartition] != nil })
        }
    }

    /// The messages of `messages` whose partitions are still owned (a retry after a revoke).
    func stillOwned(_ messages: [KafkaMessage]) -> [KafkaMessage] {
        state.withLock { state in messages.filter { state.owned[$0.topicPartition] != nil } }
    }

    /// The partitions of `topic` owned right now.
    func owned(in topic: String) -> Set<Int32> {
        state.withLock { state in Set(state.owned.keys.filter { $0.topic == topic }.map(\.partition)) }
    }

    /// Whether every one of `partitions` is still owned.
    func ownsAll(_ partitions: some Sequence<TopicPartition>) -> Bool {
        state.withLock { state in partitions.allSatisfy { state.owned[$0] != nil } }
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
