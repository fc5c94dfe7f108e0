import CKafka
import Dispatch
import Foundation

// MARK: - Fetch actions and flow control (poll thread only)

extension RDKafkaConsumerEngine {
    /// Carries out what ``FetchPositions`` decided, in order, reporting each seek's outcome back
    /// to it. Returns the first seek failure; failures of seeks the engine started itself are
    /// also logged (the application's own seek reports its failure to the caller).
    @discardableResult
    func carryOut(_ actions: [FetchPositions.Action]) -> KafkaError? {
        var firstError: KafkaError?
        for action in actions {
            switch action {
            case .pause(let partitions):
                setPaused(true, partitions)
            case .resume(let partitions):
                setPaused(false, partitions)
            case .seek(let seek):
                let error = seekFetching(seek.partition, seek.offset)
                poll.positions.seekEnded(seek, succeeded: error == nil)
                guard let error else { continue }
                if seek.reason != .requested { logger.warning("\(error)") }
                firstError = firstError ?? error
            case .reportResumedPast(let partition, let expected):
                logger.warning(
                    "resumed \(partition) past offset \(expected) without handing it out; seeking back to it")
            }
        }
        return firstError
    }

    /// librdkafka stops fetching while its local queue is over `queued.min.messages` or
    /// `queued.max.messages.kbytes`, and 2.0.2's broker threads notice that it drained only on
    /// their next periodic wake-up (LRK-7). When the queue has just been drained after getting
    /// near those limits, wake the fetchers.
    func restartFetchingAfterBacklog() {
        let peak = Double(poll.backlogPeak)
        guard peak * 2 >= Double(prefetchMessages) || peak * poll.averageMessageBytes * 2 >= prefetchBytes else {
            return
        }
        poll.backlogPeak = 0
        nudgeFetchers(poll.positions.fetching)
    }

    /// When the buffer is over capacity, gives the reader a moment (a tenth of a second) to drain
    /// it to half before fetching is paused: a pause makes librdkafka discard what it had
    /// prefetched and a resume has to fetch it again, so riding out a short hiccup of the reader is
    /// much cheaper.
    /// Commands are still served; rebalance callbacks wait at most this long.
    func waitBrieflyForReader(_ thread: RDKafkaThread) {
        guard !poll.positions.flowPaused, shared.withLock({ $0.buffer.wantsFlowPause }) else { return }
        let deadline = DispatchTime.now() + .milliseconds(100)
        while !thread.isStopRequested, shared.withLock({ $0.buffer.wantsFlowPause }) {
            if wakeup.wait(timeout: deadline) == .timedOut { return }
            runCommands()
        }
    }

    func reconcileFlowControl() {
        let wanted = shared.withLock { $0.buffer.wantsFlowPause }
        guard wanted != poll.positions.flowPaused else { return }
        logger.debug(
            "flow control: \(wanted ? "pausing" : "resuming") fetching of \(poll.positions.assigned.count) partitions")
        carryOut(poll.positions.setFlowPaused(wanted))
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
    /// which then only fetch the resumed partitions on their next periodic wake-up (LRK-6). A
    /// watermark request makes the partition leader's broker thread wake up for the reply and
    /// re-evaluate its partitions, so fetching restarts at once. A few partitions per topic cover
    /// the leaders of a small cluster; the timeout bounds the wait on the poll thread.
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

    /// Seeks a partition that is fetching.
    func seekFetching(_ partition: TopicPartition, _ offset: Int64) -> KafkaError? {
        // librdkafka 2.0.2's seek can time out on a starved machine even with an explicit wait
        // (LRK-5); the seek is idempotent, so a timed-out one is tried again before failing. The
        // tries share one budget on the monotonic clock, each waiting at most what is left of it:
        // librdkafka waits for the seek until a wall-clock deadline, which a step of the wall
        // clock (a virtual machine catching up after a pause) ends at once, so a count of tries
        // would not bound the time, nor survive such a step.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.seekBudget)
        var attempt = 1
        while true {
            let left = clock.now.duration(to: deadline)
            let error = seekFetchingOnce(partition, offset, waitingAtMost: min(left, Self.seekWait))
            guard let error, error.code == .timedOut, clock.now.duration(to: deadline) > Self.seekRetryPause else {
                return error
            }
            logger.warning(
                "seek timed out; trying again",
                metadata: ["partition": "\(partition)", "offset": "\(offset)", "attempt": "\(attempt)"])
            attempt += 1
            // A wait that ended at once is not tried again at once: this is the poll thread.
            usleep(UInt32((Self.seekRetryPause / .microseconds(1)).rounded()))
        }
    }

    /// How long a seek that times out is tried in all, waits and pauses included.
    private static let seekBudget = Duration.seconds(30)
    /// The longest one try waits for librdkafka's answer.
    private static let seekWait = Duration.seconds(10)
    /// The pause between a try that timed out and the next.
    private static let seekRetryPause = Duration.milliseconds(100)

    private func seekFetchingOnce(
        _ partition: TopicPartition, _ offset: Int64, waitingAtMost wait: Duration
    ) -> KafkaError? {
        let list = RDKafkaTopicPartitionList([partition], offset: offset)
        // rd_kafka_seek's implicit timeouts are short in 2.0.2 (LRK-5); wait explicitly (this is
        // the poll thread, never the cooperative pool). At least a millisecond: zero would not wait.
        let milliseconds = Int32(clamping: max(1, Int((wait / .milliseconds(1)).rounded(.up))))
        if let error = list.withPointer({ rd_kafka_seek_partitions(rk, $0, milliseconds) }) {
            return KafkaError.consuming(error, operation: "seek \(partition) to \(offset)")
        }
        if let entry = list.entries.first, entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            return .operation("seek \(partition) to \(offset)", entry.error)
        }
        return nil
    }
}
