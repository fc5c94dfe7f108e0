/// What the consumer fetches and from where, as a plain state machine: which partitions are
/// assigned, paused by the application or paused for flow control, where a partition must restart
/// once it fetches again, and which offset must come next after the messages handed out.
///
/// No I/O: the mutating methods return ``Action``s that the owner (the consumer engine's poll
/// thread) carries out against librdkafka, in order, reporting each seek's outcome back through
/// ``seekEnded(_:succeeded:)``.
///
/// Invariants:
/// - A partition is fetched iff it is assigned, not paused by the application and fetching is
///   not paused for flow control.
/// - Nothing of a paused partition is handed out. Messages librdkafka still returns for it
///   (LRK-8) are held back and the partition restarts at the lowest of them when it is resumed.
/// - A seek of a paused partition is not sent while it is paused. librdkafka 2.0.2 completes
///   such a seek only once the partition resumes (LRK-4), so the position is kept as a rewind
///   and sought on resume.
/// - After a flow-control resume, each partition's first message is checked against the offset
///   that must come next. librdkafka 2.0.2 can resume past messages it never handed out (LRK-3,
///   upstream #4208); then the partition's messages are held back and it is sought back to the
///   missing offset, once.
struct FetchPositions: Sendable {
    /// Something the owner does against librdkafka (or reports), in the order returned.
    enum Action: Equatable, Sendable {
        /// Pause fetching of these partitions.
        case pause(Set<TopicPartition>)
        /// Resume fetching of these partitions.
        case resume(Set<TopicPartition>)
        /// Seek a fetching partition, then report the outcome with ``seekEnded(_:succeeded:)``.
        case seek(Seek)
        /// Warn that `partition` resumed past `expected` without handing it out (LRK-3).
        case reportResumedPast(TopicPartition, expected: Int64)
    }

    /// A seek of a fetching partition; its ``reason`` decides what its outcome means.
    struct Seek: Equatable, Sendable {
        var partition: TopicPartition
        var offset: Int64
        var reason: SeekReason

        init(_ partition: TopicPartition, to offset: Int64, _ reason: SeekReason) {
            self.partition = partition
            self.offset = offset
            self.reason = reason
        }
    }

    enum SeekReason: Equatable, Sendable {
        /// The application's seek: a failure is the application's to handle.
        case requested
        /// A rewind applied when the application resumed the partition.
        case resume
        /// A rewind applied when flow control resumed fetching: on success the first message is
        /// checked against the offset (as every partition is after a flow-control resume).
        case flowResume
        /// A seek back to the offset a resumed partition skipped (LRK-3).
        case resumedPast
    }

    /// The partitions this consumer owns (by group assignment or by hand).
    private(set) var assigned: Set<TopicPartition> = []
    /// The partitions the application paused.
    private(set) var userPaused: Set<TopicPartition> = []
    /// Whether fetching of all assigned partitions is paused because the buffer is full.
    private(set) var flowPaused = false
    /// Whether a revoke ran inside the current poll (see ``beginPoll()``).
    private(set) var revokedDuringPoll = false
    /// Where partitions must restart once they fetch again.
    private(set) var rewinds: [TopicPartition: Int64] = [:]
    /// The offset after the last message handed out, per partition, while nothing (a seek, a
    /// rewind, an assignment) moved the position on purpose.
    private(set) var expected: [TopicPartition: Int64] = [:]
    /// Partitions whose next message is still to be checked against ``expected``.
    private(set) var checkAfterResume: Set<TopicPartition> = []

    /// The partitions librdkafka should fetch unless flow control pauses them.
    var fetching: Set<TopicPartition> { assigned.subtracting(userPaused) }

    // MARK: - Polling

    /// Starts a poll: a revoke during it makes ``handOut(_:events:)`` drop what is not owned.
    mutating func beginPoll() {
        revokedDuringPoll = false
    }

    /// Filters what one poll read down to what may be handed out, in place, and records the
    /// positions of what is. Held back: messages and events of partitions the application paused
    /// (those partitions are paused again and rewound to the lowest held-back offset), of
    /// partitions revoked during the poll, and of partitions that resumed past an offset never
    /// handed out (sought back to it).
    mutating func handOut(_ batch: inout [KafkaMessage], events: inout [KafkaPartitionEvent]) -> [Action] {
        var actions: [Action] = []
        if !userPaused.isEmpty {
            // librdkafka may still return messages of a partition paused right after its
            // assignment (LRK-8); they are read again after resume.
            let paused = userPaused
            var lowest: [TopicPartition: Int64] = [:]
            batch.removeAll { message in
                let tp = message.topicPartition
                guard paused.contains(tp) else { return false }
                if lowest[tp].map({ message.offset < $0 }) ?? true { lowest[tp] = message.offset }
                return true
            }
            if !lowest.isEmpty { actions.append(.pause(Set(lowest.keys))) }
            for (tp, offset) in lowest { rewind(tp, to: offset) }
            // An end read after held-back messages is not reached yet.
            events.removeAll { paused.contains($0.topicPartition) }
        }
        if revokedDuringPoll {
            // Messages read before the revoke may belong to partitions no longer owned.
            let owned = assigned
            batch.removeAll { !owned.contains($0.topicPartition) }
            events.removeAll { !owned.contains($0.topicPartition) }
        }
        if !checkAfterResume.isEmpty {
            let (heldBack, gapActions) = holdBackGaps(&batch)
            events.removeAll { heldBack.contains($0.topicPartition) }
            actions += gapActions
        }
        // A poll returns each partition's messages in runs, in offset order: the last message of
        // a run sets the partition's next offset.
        for (index, message) in batch.enumerated()
        where index + 1 == batch.count || !batch[index + 1].isOfSamePartition(as: message) {
            expected[message.topicPartition] = message.offset + 1
        }
        return actions
    }

    /// Compares the first message of each partition to be checked with the offset that must
    /// come next. When librdkafka continued further on, the partition's messages are held back
    /// and it is sought back to the missing offset, once: a later gap is a real one (compaction
    /// or transaction markers). Returns the partitions held back.
    private mutating func holdBackGaps(_ batch: inout [KafkaMessage]) -> (Set<TopicPartition>, [Action]) {
        var gaps: [TopicPartition: Int64] = [:]
        for message in batch where checkAfterResume.contains(message.topicPartition) {
            let tp = message.topicPartition
            checkAfterResume.remove(tp)
            if let next = expected[tp], message.offset > next { gaps[tp] = next }
        }
        guard !gaps.isEmpty else { return ([], []) }
        batch.removeAll { gaps[$0.topicPartition] != nil }
        var actions: [Action] = []
        for (tp, next) in gaps.sorted(by: { $0.key < $1.key }) {
            actions.append(.reportResumedPast(tp, expected: next))
            if flowPaused || userPaused.contains(tp) {
                // Paused again meanwhile: sought on resume (LRK-4).
                rewind(tp, to: next)
            } else {
                actions.append(startSeek(Seek(tp, to: next, .resumedPast)))
            }
        }
        return (Set(gaps.keys), actions)
    }

    // MARK: - Flow control

    /// Pauses (`true`) or resumes (`false`) fetching of every assigned partition because the
    /// buffer filled up or drained. Resuming applies the rewinds of the partitions that fetch
    /// again and checks where each of them continues (LRK-3).
    mutating func setFlowPaused(_ paused: Bool) -> [Action] {
        guard paused != flowPaused else { return [] }
        flowPaused = paused
        if paused { return assigned.isEmpty ? [] : [.pause(assigned)] }
        let resumed = fetching
        var actions: [Action] = resumed.isEmpty ? [] : [.resume(resumed)]
        let sought = Set(resumed.filter { rewinds[$0] != nil })
        actions += applyRewinds(resumed, .flowResume)
        // Partitions sought here join the check when their seek ends (``seekEnded``).
        checkAfterResume = resumed.filter { !sought.contains($0) && expected[$0] != nil }
        return actions
    }

    // MARK: - Assignment

    /// A group assignment added `partitions`; `offsets` are the start offsets the application
    /// chose for some of them (absolute ones are where their first messages must be).
    mutating func groupAssigned(
        _ partitions: Set<TopicPartition>, startingAt offsets: [TopicPartition: Int64]
    ) -> [Action] {
        for (tp, offset) in offsets where offset >= 0 { expected[tp] = offset }
        assigned.formUnion(partitions)
        // Newly assigned partitions join the current flow-control pause.
        return flowPaused && !partitions.isEmpty ? [.pause(partitions)] : []
    }

    /// A group revoke released `partitions`: everything recorded for them is forgotten, and what
    /// the current poll read of them is not handed out.
    mutating func groupRevoked(_ partitions: Set<TopicPartition>) {
        revokedDuringPoll = true
        assigned.subtract(partitions)
        userPaused.subtract(partitions)
        for tp in partitions {
            rewinds[tp] = nil
            expected[tp] = nil
            checkAfterResume.remove(tp)
        }
    }

    /// A rebalance failed and librdkafka was told to drop the whole assignment.
    mutating func groupRebalanceFailed() {
        assigned = []
    }

    /// The application assigned `partitions` by hand, replacing the assignment: nothing is paused
    /// by the application any more, and absolute start offsets are where the partitions' first
    /// messages must be.
    mutating func assign(_ partitions: [TopicPartition: Int64]) -> [Action] {
        assigned = Set(partitions.keys)
        userPaused = []
        rewinds = [:]
        expected = partitions.filter { $0.value >= 0 }
        checkAfterResume = []
        return flowPaused && !assigned.isEmpty ? [.pause(assigned)] : []
    }

    // MARK: - The application's pause, resume and seek

    /// The application paused `partitions`. The owner pauses them in librdkafka (reporting a
    /// failure to the application), then drops what is buffered of them and reports the lowest
    /// dropped offsets with ``rewind(_:)``.
    mutating func pause(_ partitions: Set<TopicPartition>) {
        userPaused.formUnion(partitions)
    }

    /// Records that each partition must restart at the given offset (keeping the earliest).
    mutating func rewind(_ offsets: [TopicPartition: Int64]) {
        for (tp, offset) in offsets { rewind(tp, to: offset) }
    }

    /// The application resumed `partitions`; unless flow control pauses fetching, they are
    /// resumed and sought to where they must restart.
    mutating func resume(_ partitions: Set<TopicPartition>) -> [Action] {
        userPaused.subtract(partitions)
        guard !flowPaused else { return [] }
        let actions: [Action] = partitions.isEmpty ? [] : [.resume(partitions)]
        return actions + applyRewinds(partitions, .resume)
    }

    /// The application moved `partition` to `offset`. A paused partition is sought when it
    /// fetches again (LRK-4).
    mutating func seek(_ partition: TopicPartition, to offset: Int64) -> [Action] {
        if userPaused.contains(partition) || flowPaused {
            rewinds[partition] = offset
            return []
        }
        rewinds[partition] = nil
        return [startSeek(Seek(partition, to: offset, .requested))]
    }

    /// Records how a ``Action/seek(_:)`` ended. On success the partition's next message is
    /// expected at an absolute offset. A failed seek that restarts a partition leaves it checked
    /// again, so messages past the offset are held back and the seek is tried again rather than
    /// the messages before them skipped for good.
    mutating func seekEnded(_ seek: Seek, succeeded: Bool) {
        let tp = seek.partition
        if succeeded {
            guard seek.offset >= 0 else { return }
            expected[tp] = seek.offset
            if seek.reason == .flowResume { checkAfterResume.insert(tp) }
        } else if seek.reason != .requested {
            expected[tp] = seek.offset
            checkAfterResume.insert(tp)
        }
    }

    // MARK: - Helpers

    private mutating func rewind(_ partition: TopicPartition, to offset: Int64) {
        expected[partition] = nil
        checkAfterResume.remove(partition)
        if rewinds[partition].map({ offset < $0 }) ?? true { rewinds[partition] = offset }
    }

    /// Seeks partitions that fetch again to where they must restart, in partition order.
    private mutating func applyRewinds(_ partitions: Set<TopicPartition>, _ reason: SeekReason) -> [Action] {
        partitions.sorted().compactMap { tp in
            rewinds.removeValue(forKey: tp).map { startSeek(Seek(tp, to: $0, reason)) }
        }
    }

    /// Until the seek ends, the partition's position is unknown.
    private mutating func startSeek(_ seek: Seek) -> Action {
        expected[seek.partition] = nil
        checkAfterResume.remove(seek.partition)
        return .seek(seek)
    }
}
