import CKafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// The machinery behind ``KafkaConsumer``: one dedicated poll thread owns consumption and every
/// change of what is fetched (assign, pause/resume, seek, flow control, rebalances), so "a
/// partition is fetched iff neither user-paused nor flow-paused" is decided in one place.
///
/// Other threads talk to the poll thread by enqueueing commands and waking it
/// (`rd_kafka_queue_yield` plus a semaphore, which also serves while the thread waits for a
/// rebalance hook, so hooks may call back into the consumer without deadlocking).
final class RDKafkaConsumerEngine: Sendable {
    typealias Command = @Sendable (RDKafkaConsumerEngine) -> Void

    private struct Shared {
        var buffer: KafkaConsumerBuffer
        var commands: [Command] = []
        var assignment: Set<TopicPartition> = []
        var stopped = false
    }

    /// State only the poll thread touches (it is the sole reader and writer).
    private struct PollState {
        var assigned: Set<TopicPartition> = []
        var userPaused: Set<TopicPartition> = []
        var flowPaused = false
        var revokedDuringPoll = false
        /// Where partitions must restart once they fetch again (messages held back while paused).
        var rewinds: [TopicPartition: Int64] = [:]
        /// The offset after the last message handed to the application, per partition, while
        /// nothing (a seek, a rewind, an assignment) moved the position on purpose.
        var expected: [TopicPartition: Int64] = [:]
        /// Partitions resumed after a flow-control pause whose first message is still to be
        /// checked against ``expected``.
        var checkAfterResume: Set<TopicPartition> = []
        /// Largest local queue length seen since fetchers were last nudged.
        var backlogPeak = 0
        var averageMessageBytes = 512.0
        var reader = RDKafkaMessageReader()
        /// When the last rebalance callback returned (a close waits a bounded time after it).
        var lastRebalanceEnd = ContinuousClock.now
    }

    let client: RDKafkaClient
    let logger: Logger
    private let listener: (any KafkaRebalanceListener)?
    private let maxBatchSize: Int
    /// `enable.partition.eof=true`: the application reads a bounded range and wants partition
    /// ends and failures in order with the messages (``KafkaPartitionEvent``).
    private let reportsPartitionEvents: Bool
    /// librdkafka's prefetch limits (`queued.min.messages`, `queued.max.messages.kbytes`).
    private let prefetchMessages: Int
    private let prefetchBytes: Double
    private let consumerQueue: Mutex<OpaquePointer?>
    private let shared: Mutex<Shared>
    private let wakeup = DispatchSemaphore(value: 0)
    private let blocking: RDKafkaBlockingQueue
    private let nudging = Atomic<Bool>(false)
    nonisolated(unsafe) private var poll = PollState()

    init(
        client: RDKafkaClient, properties: [String: String], listener: (any KafkaRebalanceListener)?,
        bufferCapacity: Int, maxBatchSize: Int, blocking: RDKafkaBlockingQueue, logger: Logger
    ) throws(KafkaError) {
        self.blocking = blocking
        // librdkafka's spellings of true for a boolean property.
        self.reportsPartitionEvents = ["true", "t", "1"].contains(properties["enable.partition.eof"]?.lowercased() ?? "")
        self.prefetchMessages = properties["queued.min.messages"].flatMap { Int($0) } ?? 100_000
        self.prefetchBytes = Double(properties["queued.max.messages.kbytes"].flatMap { Int($0) } ?? 65_536) * 1024
        guard let queue = rd_kafka_queue_get_consumer(client.handle) else {
            throw .clientCreationFailed(reason: "the consumer has no group queue (group.id missing)")
        }
        self.client = client
        self.listener = listener
        self.maxBatchSize = max(maxBatchSize, 1)
        self.logger = logger
        self.consumerQueue = Mutex(queue)
        self.shared = Mutex(Shared(buffer: KafkaConsumerBuffer(capacity: bufferCapacity, maxBatchSize: maxBatchSize)))
    }

    deinit {
        consumerQueue.withLock { queue in
            if let queue { rd_kafka_queue_destroy(queue) }
        }
    }

    private var rk: OpaquePointer { client.handle }

    // MARK: - Talking to the poll thread

    /// Runs `body` on the poll thread and returns its result, or nil when the poll thread has
    /// already stopped (the consumer is closed).
    func perform<T: Sendable>(_ body: @escaping @Sendable (RDKafkaConsumerEngine) -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let accepted = shared.withLock { shared in
                guard !shared.stopped else { return false }
                shared.commands.append { engine in continuation.resume(returning: body(engine)) }
                return true
            }
            if accepted { wake() } else { continuation.resume(returning: nil) }
        }
    }

    func wake() {
        wakeup.signal()
        consumerQueue.withLock { queue in
            if let queue { rd_kafka_queue_yield(queue) }
        }
    }

    private func runCommands() {
        while true {
            let commands = shared.withLock { shared in
                defer { shared.commands = [] }
                return shared.commands
            }
            if commands.isEmpty { return }
            for command in commands { command(self) }
        }
    }

    /// Runs an async hook on the cooperative pool while blocking only the poll thread, serving
    /// commands meanwhile.
    private func runHook<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let wakeup = self.wakeup
        Task {
            let value = await body()
            result.withLock { $0 = value }
            wakeup.signal()
        }
        while true {
            wakeup.wait()
            runCommands()
            if let value = result.withLock({ $0.take() }) { return value }
        }
    }

    // MARK: - The poll loop (poll thread only)

    func run(_ thread: RDKafkaThread) {
        guard let consumerQueue = self.consumerQueue.withLock({ $0 }) else { return }
        rd_kafka_poll_set_consumer(rk)
        let capacity = maxBatchSize
        let messages = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: capacity)
        defer { messages.deallocate() }
        while !thread.isStopRequested {
            runCommands()
            waitBrieflyForReader(thread)
            reconcileFlowControl()
            poll.revokedDuringPoll = false
            // Take whatever is ready without waiting; only when nothing is, wait (bounded) for
            // the first message, so large batches form under load and latency stays low when idle.
            poll.backlogPeak = max(poll.backlogPeak, rd_kafka_queue_length(consumerQueue))
            var count = rd_kafka_consume_batch_queue(consumerQueue, 0, messages, capacity)
            if count < capacity { restartFetchingAfterBacklog() }
            if count == 0 {
                count = rd_kafka_consume_batch_queue(consumerQueue, 100, messages, 1)
            }
            guard count > 0 else { continue }
            deliver(messages, count: count)
        }
        closeConsumer()
    }

    private func deliver(_ messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count: Int) {
        var batch: [KafkaMessage] = []
        batch.reserveCapacity(count)
        var events: [KafkaPartitionEvent] = []
        var bytes = 0
        for index in 0..<count {
            guard let message = messages[index] else { continue }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                bytes += message.pointee.len + message.pointee.key_len
                batch.append(poll.reader.read(message))
                rd_kafka_message_destroy(message)
                continue
            }
            let partition = message.pointee.rkt.map { TopicPartition(String(cString: rd_kafka_topic_name($0)), message.pointee.partition) }
            if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                if reportsPartitionEvents, let partition {
                    events.append(KafkaPartitionEvent(partition, .end(nextOffset: message.pointee.offset)))
                }
            } else {
                let reason = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? KafkaErrorCode(err).text
                let error = KafkaError.operation("consume\(partition.map { " \($0)" } ?? "")", err, reason: reason)
                logger.warning("\(error)")
                client.context.report(error)
                if reportsPartitionEvents, let partition { events.append(KafkaPartitionEvent(partition, .failed(error))) }
            }
            rd_kafka_message_destroy(message)
        }
        if !batch.isEmpty {
            poll.averageMessageBytes = 0.9 * poll.averageMessageBytes + 0.1 * Double(bytes) / Double(batch.count)
        }
        if !poll.userPaused.isEmpty {
            // librdkafka may still hand out messages of a partition paused right after its
            // assignment; hold them back and rewind so they are read after resume.
            let paused = poll.userPaused
            var lowest: [TopicPartition: Int64] = [:]
            batch.removeAll { message in
                let tp = message.topicPartition
                guard paused.contains(tp) else { return false }
                if lowest[tp].map({ message.offset < $0 }) ?? true { lowest[tp] = message.offset }
                return true
            }
            for (tp, offset) in lowest {
                setPaused(true, [tp])
                rewind(tp, to: offset)
            }
            // An end read after held-back messages is not reached yet.
            events.removeAll { paused.contains($0.topicPartition) }
        }
        if poll.revokedDuringPoll {
            // A rebalance ran inside this poll: messages read before it may belong to partitions
            // we no longer own.
            let assigned = poll.assigned
            batch.removeAll { !assigned.contains($0.topicPartition) }
            events.removeAll { !assigned.contains($0.topicPartition) }
        }
        if !poll.checkAfterResume.isEmpty {
            let heldBack = skipGapsAfterResume(&batch)
            events.removeAll { heldBack.contains($0.topicPartition) }
        }
        for message in batch { poll.expected[message.topicPartition] = message.offset + 1 }
        let resume = shared.withLock { $0.buffer.append(batch, events: events) }
        if let (waiter, batch) = resume { waiter.resume(returning: batch) }
    }

    /// For each partition resumed after a flow-control pause, compares its first message with
    /// the offset that should come next; when librdkafka resumed further on, holds the
    /// partition's messages back and seeks to the missing offset, once (a later gap is a real one:
    /// compaction or transaction markers). Returns the partitions held back.
    private func skipGapsAfterResume(_ batch: inout [KafkaMessage]) -> Set<TopicPartition> {
        var gaps: [TopicPartition: Int64] = [:]
        for message in batch where poll.checkAfterResume.contains(message.topicPartition) {
            let tp = message.topicPartition
            poll.checkAfterResume.remove(tp)
            if let expected = poll.expected[tp], message.offset > expected { gaps[tp] = expected }
        }
        guard !gaps.isEmpty else { return [] }
        batch.removeAll { gaps[$0.topicPartition] != nil }
        for (tp, expected) in gaps.sorted(by: { $0.key < $1.key }) {
            logger.warning("resumed \(tp) past offset \(expected) without handing it out; seeking back to it")
            if poll.flowPaused || poll.userPaused.contains(tp) {
                // Paused again meanwhile: a seek would not complete in 2.0.2; seek on resume.
                rewind(tp, to: expected)
            } else if let error = seekFetching(tp, expected) {
                logger.warning("\(error)")
                checkAgain(tp, from: expected)
            }
        }
        return Set(gaps.keys)
    }

    /// librdkafka stops fetching while its local queue is over `queued.min.messages` or
    /// `queued.max.messages.kbytes`, and 2.0.2's broker threads notice that it drained only on
    /// their next periodic wake-up (measured: stalls of about 0.6 s). When the queue has just
    /// been drained after getting near those limits, wake the fetchers.
    private func restartFetchingAfterBacklog() {
        let peak = Double(poll.backlogPeak)
        guard peak * 2 >= Double(prefetchMessages) || peak * poll.averageMessageBytes * 2 >= prefetchBytes else { return }
        poll.backlogPeak = 0
        nudgeFetchers(poll.assigned.subtracting(poll.userPaused))
    }

    /// When the buffer is over capacity, gives the reader up to 100 ms to drain it to half
    /// before fetching is paused: a pause makes librdkafka discard what it had prefetched and a
    /// resume has to fetch it again, so riding out a short hiccup of the reader is much cheaper.
    /// Commands are still served; rebalance callbacks wait at most this long.
    private func waitBrieflyForReader(_ thread: RDKafkaThread) {
        guard !poll.flowPaused, shared.withLock({ $0.buffer.wantsFlowPause }) else { return }
        let deadline = DispatchTime.now() + .milliseconds(100)
        while !thread.isStopRequested, shared.withLock({ $0.buffer.wantsFlowPause }) {
            if wakeup.wait(timeout: deadline) == .timedOut { return }
            runCommands()
        }
    }

    private func reconcileFlowControl() {
        let wanted = shared.withLock { $0.buffer.wantsFlowPause }
        guard wanted != poll.flowPaused else { return }
        poll.flowPaused = wanted
        logger.debug("flow control: \(wanted ? "pausing" : "resuming") fetching of \(poll.assigned.count) partitions")
        if wanted {
            setPaused(true, poll.assigned)
        } else {
            let fetching = poll.assigned.subtracting(poll.userPaused)
            setPaused(false, fetching)
            _ = applyRewinds(fetching)
            // librdkafka before 2.1.0 can resume a partition past messages it never handed out
            // when consume_batch_queue is used with pause/resume (upstream #4208): check where
            // each resumed partition really continues.
            poll.checkAfterResume = fetching.filter { poll.expected[$0] != nil }
        }
    }

    private func setPaused(_ paused: Bool, _ partitions: Set<TopicPartition>) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(partitions)
        let err = list.withPointer { paused ? rd_kafka_pause_partitions(rk, $0) : rd_kafka_resume_partitions(rk, $0) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("\(KafkaError.operation(paused ? "pause" : "resume", err))")
        }
        if !paused { nudgeFetchers(partitions) }
    }

    /// librdkafka 2.0.2 applies a resume on its main thread without waking the broker threads,
    /// which then only fetch the resumed partitions on their next periodic wake-up (measured:
    /// about a second per pause/resume cycle). A watermark request makes the partition leader's
    /// broker thread wake up for the reply and re-evaluate its partitions, so fetching restarts
    /// at once. A few partitions per topic cover the leaders of a small cluster; the timeout
    /// bounds the wait on the poll thread.
    private func nudgeFetchers(_ partitions: Set<TopicPartition>) {
        var perTopic: [String: Int] = [:]
        let targets = partitions.sorted().filter { tp in
            let nudged = perTopic[tp.topic, default: 0]
            perTopic[tp.topic] = nudged + 1
            return nudged < 4
        }
        // Off the poll thread: the request may queue behind a long-polling fetch on the same
        // connection. Enqueueing the request is what wakes the broker thread, so the reply is
        // not waited for long. One nudge at a time; serialised with destroy on the blocking queue.
        guard !targets.isEmpty, !nudging.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let client = self.client
        blocking.async { [self] in
            defer { nudging.store(false, ordering: .releasing) }
            guard !client.isDestroyed else { return }
            var low: Int64 = 0
            var high: Int64 = 0
            for tp in targets {
                _ = rd_kafka_query_watermark_offsets(client.handle, tp.topic, tp.partition, &low, &high, 10)
            }
        }
    }

    private func closeConsumer() {
        // librdkafka 2.0.2 can hang in rd_kafka_consumer_close() after the assignment was lost
        // (e.g. session timeout): release the lost partitions first.
        if rd_kafka_assignment_lost(rk) != 0 {
            logger.info("assignment lost before close: unassigning first")
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            if rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
                let owned = RDKafkaTopicPartitionList(adopting: list)
                owned.withPointer { unassign($0) }
            }
        }
        closeWithinBound()
        let waiter = shared.withLock { shared in
            shared.assignment = []
            return shared.buffer.finish()
        }
        waiter?.resume(returning: nil)
        // Commands that raced with close still get an answer (librdkafka reports the closed state).
        let leftovers = shared.withLock { shared in
            shared.stopped = true
            defer { shared.commands = [] }
            return shared.commands
        }
        for command in leftovers { command(self) }
        consumerQueue.withLock { queue in
            if let queue { rd_kafka_queue_destroy(queue) }
            queue = nil
        }
    }

    /// How long a close may wait for librdkafka after the last rebalance callback returned.
    static let closeWait: Duration = .seconds(5)

    /// Leaves the group: the revoke callback runs (and commits) as in `rd_kafka_consumer_close`,
    /// but the wait is bounded. While no broker answers, librdkafka holds the close until every
    /// commit still outstanding expires, up to `session.timeout.ms` (45 s by default; measured
    /// here: a SIGTERM during a broker outage took 50 s), and a graceful shutdown must end within
    /// 30 s (SPEC §9). Past ``closeWait`` after the last callback, the client is destroyed without
    /// waiting further; what was not committed is only Kafka's copy of the positions.
    private func closeWithinBound() {
        guard let queue = consumerQueue.withLock({ $0 }) else {
            let err = rd_kafka_consumer_close(rk)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.warning("\(KafkaError.operation("close", err))") }
            return
        }
        if let error = rd_kafka_consumer_close_queue(rk, queue) {
            // A consumer outside any group (assigned by hand) has no group to leave.
            let outsideGroup = rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__UNKNOWN_GROUP
            let failure = KafkaError.consuming(error, operation: "close")
            if !outsideGroup { logger.warning("\(failure)") }
            return
        }
        let started = ContinuousClock.now
        defer { logger.debug("consumer closed", metadata: ["duration": "\(ContinuousClock.now - started)"]) }
        let capacity = 64
        let messages = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: capacity)
        defer { messages.deallocate() }
        while rd_kafka_consumer_closed(rk) == 0 {
            guard ContinuousClock.now < max(started, poll.lastRebalanceEnd) + Self.closeWait else {
                logger.warning(
                    "the consumer did not finish leaving its group within \(Self.closeWait) (no broker answering?); closing without waiting further")
                client.skipConsumerCloseOnDestroy()
                return
            }
            // Serves the revoke callback; messages still arriving are not handed out any more.
            let count = rd_kafka_consume_batch_queue(queue, 100, messages, capacity)
            for index in 0..<max(count, 0) { rd_kafka_message_destroy(messages[index]) }
        }
    }

    // MARK: - Rebalance (poll thread, inside librdkafka's rebalance callback)

    private var isCooperative: Bool {
        guard let proto = rd_kafka_rebalance_protocol(rk) else { return false }
        return String(cString: proto) == "COOPERATIVE"
    }

    func rebalance(err: rd_kafka_resp_err_t, partitions list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        defer { poll.lastRebalanceEnd = .now }
        let partitions = RDKafkaTopicPartitionList.entries(of: list).map(\.topicPartition)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.debug("partitions assigned: \(partitions.sorted())")
            if let listener {
                let offsets = runHook { await listener.partitionsAssigned(partitions) }
                RDKafkaTopicPartitionList.setOffsets(offsets, in: list)
                // Where each partition must start, so a flow-control pause before its first
                // message is handed out is still checked on resume (upstream #4208).
                for (tp, offset) in offsets where offset >= 0 { poll.expected[tp] = offset }
            }
            assign(list)
            let added = Set(partitions)
            poll.assigned.formUnion(added)
            shared.withLock { $0.assignment.formUnion(added) }
            // Newly assigned partitions join the current flow-control pause.
            if poll.flowPaused { setPaused(true, added) }

        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.debug("partitions revoked (lost: \(lost)): \(partitions.sorted())")
            let revoked = Set(partitions)
            poll.revokedDuringPoll = true
            poll.assigned.subtract(revoked)
            poll.userPaused.subtract(revoked)
            for tp in revoked {
                poll.rewinds[tp] = nil
                poll.expected[tp] = nil
                poll.checkAfterResume.remove(tp)
            }
            shared.withLock { shared in
                shared.assignment.subtract(revoked)
                _ = shared.buffer.drop(revoked)
            }
            if let listener {
                runHook { await listener.partitionsRevoked(partitions, lost: lost) }
            }
            if !lost {
                // Commit what the application stored for these partitions before releasing
                // them, so the next owner starts exactly after the processed messages.
                let commitErr = commitBeforeRelease()
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR, commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    let error = KafkaError.operation("commit before releasing \(partitions.sorted())", commitErr)
                    // The group moved on while the application drained (another rebalance began,
                    // or this member's generation ended): expected in busy groups, and the next
                    // owner starts from what the application stored elsewhere or re-reads.
                    // A commit that timed out (no coordinator: a broker outage) changes nothing
                    // for an application that keeps its positions elsewhere.
                    let groupMovedOn = [
                        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
                        RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR__TIMED_OUT,
                    ].contains(commitErr)
                    logger.log(level: groupMovedOn ? .warning : .error, "\(error)")
                    client.context.report(error)
                }
            }
            unassign(list)

        default:
            let error = KafkaError.operation("rebalance", err)
            logger.error("\(error)")
            client.context.report(error)
            unassign(list)
            poll.assigned = []
            shared.withLock { shared in
                shared.assignment = []
                _ = shared.buffer.drop(Set(partitions))
            }
        }
    }

    /// Commits stored offsets, retrying briefly on transient coordinator errors, for at most
    /// five seconds in all.
    ///
    /// Bounded because a synchronous `rd_kafka_commit` without a reachable coordinator waits up
    /// to `session.timeout.ms` (45 s by default) inside the revoke, and a graceful shutdown during
    /// a broker outage must end within 30 s (SPEC §9). An application that stores its positions
    /// elsewhere (the worker's database) loses nothing when this commit times out.
    private func commitBeforeRelease() -> rd_kafka_resp_err_t {
        let deadline = ContinuousClock.now + .seconds(5)
        var err = Self.commitStored(rk, until: deadline)
        while err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR__NO_OFFSET, err != RD_KAFKA_RESP_ERR__TIMED_OUT,
            KafkaErrorCode(err).isRetriable, ContinuousClock.now < deadline
        {
            usleep(100_000)
            err = Self.commitStored(rk, until: deadline)
        }
        return err
    }

    /// One commit of the stored offsets of `rk`, waiting for its result until `deadline`
    /// (`__TIMED_OUT` past it). Blocks the calling thread: call it on the poll thread or a
    /// blocking queue, never on the cooperative pool.
    static func commitStored(_ rk: OpaquePointer, until deadline: ContinuousClock.Instant) -> rd_kafka_resp_err_t {
        guard let queue = rd_kafka_queue_new(rk) else { return rd_kafka_commit(rk, nil, 0) }
        defer { rd_kafka_queue_destroy(queue) }
        let err = rd_kafka_commit_queue(rk, nil, queue, nil, nil)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return err }
        while true {
            let remaining = deadline - ContinuousClock.now
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1_000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            guard milliseconds > 0, let event = rd_kafka_queue_poll(queue, milliseconds) else { return RD_KAFKA_RESP_ERR__TIMED_OUT }
            defer { rd_kafka_event_destroy(event) }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT { return rd_kafka_event_error(event) }
        }
    }

    private func assign(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        if isCooperative {
            if let error = rd_kafka_incremental_assign(rk, list) {
                logger.error("\(KafkaError.consuming(error, operation: "incremental assign"))")
            }
        } else {
            let err = rd_kafka_assign(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("\(KafkaError.operation("assign", err))") }
        }
    }

    private func unassign(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        if isCooperative {
            if let error = rd_kafka_incremental_unassign(rk, list) {
                logger.error("\(KafkaError.consuming(error, operation: "incremental unassign"))")
            }
        } else {
            let err = rd_kafka_assign(rk, nil)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("\(KafkaError.operation("unassign", err))") }
        }
    }

    // MARK: - Commands (run on the poll thread via perform)

    func subscribeNow(_ topics: [String]) -> KafkaError? {
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(TopicPartition(topic, RD_KAFKA_PARTITION_UA), offset: Int64(RD_KAFKA_OFFSET_INVALID)) }
        let err = list.withPointer { rd_kafka_subscribe(rk, $0) }
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : .operation("subscribe to \(topics)", err)
    }

    func assignNow(_ partitions: [TopicPartition: KafkaOffset]) -> KafkaError? {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for (tp, offset) in partitions.sorted(by: { $0.key < $1.key }) { list.add(tp, offset: offset.rawValue) }
        let err = list.withPointer { rd_kafka_assign(rk, $0) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .operation("assign", err) }
        let assigned = Set(partitions.keys)
        poll.assigned = assigned
        poll.userPaused = []
        poll.rewinds = [:]
        // Absolute start offsets are where the partitions' first messages must be (checked
        // after a flow-control resume, as for a group assignment).
        poll.expected = partitions.compactMapValues { $0.rawValue >= 0 ? $0.rawValue : nil }
        poll.checkAfterResume = []
        shared.withLock { shared in
            // Whatever was buffered belongs to the previous assignment or start positions.
            let stale = shared.assignment.union(assigned)
            shared.assignment = assigned
            _ = shared.buffer.drop(stale)
        }
        if poll.flowPaused { setPaused(true, assigned) }
        return nil
    }

    func pauseNow(_ partitions: Set<TopicPartition>) -> KafkaError? {
        poll.userPaused.formUnion(partitions)
        let list = RDKafkaTopicPartitionList(partitions)
        let err = list.withPointer { rd_kafka_pause_partitions(rk, $0) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .operation("pause \(partitions.sorted())", err) }
        // Nothing of a paused partition reaches the application after pause() returns: drop what
        // is buffered and read it again after resume.
        let lowest = shared.withLock { $0.buffer.drop(partitions).lowest }
        for (tp, offset) in lowest { rewind(tp, to: offset) }
        return nil
    }

    func resumeNow(_ partitions: Set<TopicPartition>) -> KafkaError? {
        poll.userPaused.subtract(partitions)
        guard !poll.flowPaused else { return nil }
        setPaused(false, partitions)
        return applyRewinds(partitions)
    }

    func seekNow(_ partition: TopicPartition, _ offset: Int64) -> KafkaError? {
        _ = shared.withLock { $0.buffer.drop([partition]) }
        if poll.userPaused.contains(partition) || poll.flowPaused {
            // Seeking a paused partition does not complete in librdkafka 2.0.2 until it resumes;
            // remember the position and seek when fetching resumes.
            poll.rewinds[partition] = offset
            return nil
        }
        poll.rewinds[partition] = nil
        return seekFetching(partition, offset)
    }

    /// Records that `partition` must restart at `offset` (keeping the earliest such offset).
    private func rewind(_ partition: TopicPartition, to offset: Int64) {
        poll.expected[partition] = nil
        poll.checkAfterResume.remove(partition)
        if poll.rewinds[partition].map({ offset < $0 }) ?? true { poll.rewinds[partition] = offset }
    }

    /// Seeks partitions that are fetching again to where they must restart.
    private func applyRewinds(_ partitions: Set<TopicPartition>) -> KafkaError? {
        var firstError: KafkaError?
        for tp in partitions.sorted() {
            guard let offset = poll.rewinds.removeValue(forKey: tp) else { continue }
            if let error = seekFetching(tp, offset) {
                logger.warning("\(error)")
                checkAgain(tp, from: offset)
                firstError = firstError ?? error
            }
        }
        return firstError
    }

    /// After a seek that failed: the partition's next messages are checked against `offset`
    /// again, so messages past it are held back and the seek is tried again rather than the
    /// messages before them skipped for good.
    private func checkAgain(_ partition: TopicPartition, from offset: Int64) {
        poll.expected[partition] = offset
        poll.checkAfterResume.insert(partition)
    }

    /// Seeks a partition that is fetching; on success its next message is expected at `offset`
    /// (what the check after a flow-control resume compares with).
    private func seekFetching(_ partition: TopicPartition, _ offset: Int64) -> KafkaError? {
        poll.expected[partition] = nil
        poll.checkAfterResume.remove(partition)
        // librdkafka 2.0.2's seek can time out on a starved machine even with an explicit wait (seen
        // in CI with 10 s); the seek is idempotent, so a timed-out one is tried again before failing.
        var attempt = 1
        while true {
            let error = seekFetchingOnce(partition, offset)
            if error == nil, offset >= 0 { poll.expected[partition] = offset }
            guard let error, error.code == .timedOut, attempt < Self.seekAttempts else { return error }
            logger.warning(
                "seek timed out; trying again",
                metadata: ["partition": "\(partition)", "offset": "\(offset)", "attempt": "\(attempt)"])
            attempt += 1
        }
    }

    /// How many times a seek that times out is tried in all.
    private static let seekAttempts = 3

    private func seekFetchingOnce(_ partition: TopicPartition, _ offset: Int64) -> KafkaError? {
        let list = RDKafkaTopicPartitionList([partition], offset: offset)
        // rd_kafka_seek's implicit timeouts are short in 2.0.2; wait explicitly (this is the
        // poll thread, never the cooperative pool).
        if let error = list.withPointer({ rd_kafka_seek_partitions(rk, $0, 10_000) }) {
            return KafkaError.consuming(error, operation: "seek \(partition) to \(offset)")
        }
        if let entry = list.entries.first, entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            return .operation("seek \(partition) to \(offset)", entry.error)
        }
        return nil
    }

    // MARK: - Reader side

    func nextBatch() async -> [KafkaMessage]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: KafkaConsumerBuffer.Waiter) in
                let (take, resumeFetching) = shared.withLock { shared -> (KafkaConsumerBuffer.Take, Bool) in
                    if Task.isCancelled { return (.finished, false) }
                    return shared.buffer.take(waiter: continuation)
                }
                if resumeFetching { wake() }
                switch take {
                case .batch(let batch): continuation.resume(returning: batch)
                case .finished: continuation.resume(returning: nil)
                case .wait: break
                }
            }
        } onCancel: {
            shared.withLock { $0.buffer.cancelWaiter() }?.resume(returning: nil)
        }
    }

    var assignment: Set<TopicPartition> { shared.withLock { $0.assignment } }

    func takePartitionEvents() -> [KafkaPartitionEvent] {
        shared.withLock { $0.buffer.takeHandedOutEvents() }
    }
}
