import CKafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// The machinery behind ``KafkaConsumer``: one dedicated poll thread owns consumption and every
/// change of what is fetched (assign, pause/resume, seek, flow control, rebalances), so "a
/// partition is fetched iff neither user-paused nor flow-paused" is decided in one place: the
/// thread's ``FetchPositions``, whose actions the engine carries out against librdkafka.
///
/// Other threads talk to the poll thread by enqueueing commands and waking it
/// (`rd_kafka_queue_yield` plus a semaphore, which also serves while the thread waits for a
/// rebalance hook, so hooks may call back into the consumer without deadlocking).
///
/// The engine is split by concern: this file holds the poll loop and the reader side;
/// `+Fetching` carries out fetch actions and flow control, `+Commands` the application's
/// commands, `+Rebalance` the group's rebalance callback and commits, `+Close` leaving the group.
/// Members shared between those files are internal to the module, but only the poll thread may
/// touch ``poll``.
final class RDKafkaConsumerEngine: Sendable {
    typealias Command = @Sendable (RDKafkaConsumerEngine) -> Void

    struct Shared {
        var buffer: KafkaConsumerBuffer
        var commands: [Command] = []
        var assignment: Set<TopicPartition> = []
        var stopped = false
    }

    /// State only the poll thread touches (it is the sole reader and writer).
    struct PollState {
        var positions = FetchPositions()
        /// Largest local queue length seen since fetchers were last nudged.
        var backlogPeak = 0
        var averageMessageBytes = 512.0
        var reader = RDKafkaMessageReader()
        /// When the last rebalance callback returned (a close waits a bounded time after it).
        var lastRebalanceEnd = ContinuousClock.now
    }

    let client: RDKafkaClient
    let logger: Logger
    let listener: (any KafkaRebalanceListener)?
    private let maxBatchSize: Int
    /// `enable.partition.eof=true`: the application reads a bounded range and wants partition
    /// ends and failures in order with the messages (``KafkaPartitionEvent``).
    private let reportsPartitionEvents: Bool
    /// librdkafka's prefetch limits (`queued.min.messages`, `queued.max.messages.kbytes`).
    let prefetchMessages: Int
    let prefetchBytes: Double
    let consumerQueue: Mutex<OpaquePointer?>
    let shared: Mutex<Shared>
    let wakeup = DispatchSemaphore(value: 0)
    let blocking: RDKafkaBlockingQueue
    let nudging = Atomic<Bool>(false)
    nonisolated(unsafe) var poll = PollState()

    init(
        client: RDKafkaClient, properties: [String: String], listener: (any KafkaRebalanceListener)?,
        bufferCapacity: Int, bufferCapacityBytes: Int, maxBatchSize: Int, blocking: RDKafkaBlockingQueue, logger: Logger
    ) throws(KafkaError) {
        self.blocking = blocking
        // librdkafka's spellings of true for a boolean property.
        self.reportsPartitionEvents = ["true", "t", "1"].contains(
            properties["enable.partition.eof"]?.lowercased() ?? "")
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
        self.shared = Mutex(
            Shared(
                buffer: KafkaConsumerBuffer(
                    capacity: bufferCapacity, capacityBytes: bufferCapacityBytes, maxBatchSize: maxBatchSize)))
    }

    deinit {
        consumerQueue.withLock { queue in
            if let queue { rd_kafka_queue_destroy(queue) }
        }
    }

    var rk: OpaquePointer { client.handle }

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

    func runCommands() {
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
    func runHook<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
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
            poll.positions.beginPoll()
            // Take whatever is ready without waiting; only when nothing is, wait (bounded) for
            // the first message, so large batches form under load and latency stays low when idle.
            poll.backlogPeak = max(poll.backlogPeak, rd_kafka_queue_length(consumerQueue))
            var count = rd_kafka_consume_batch_queue(consumerQueue, 0, messages, capacity)
            if count < capacity { restartFetchingAfterBacklog() }
            if count == 0 {
                count = rd_kafka_consume_batch_queue(consumerQueue, 100, messages, 1)
                // The first message usually comes with the rest of its fetch: take those too.
                if count == 1, capacity > 1 {
                    count += max(rd_kafka_consume_batch_queue(consumerQueue, 0, messages + 1, capacity - 1), 0)
                }
            }
            guard count > 0 else { continue }
            deliver(messages, count: count)
        }
        closeConsumer()
    }

    private func deliver(_ messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count: Int) {
        var read: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        read.reserveCapacity(count)
        var events: [KafkaPartitionEvent] = []
        var bytes = 0
        for index in 0..<count {
            guard let message = messages[index] else { continue }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                bytes += message.pointee.len + message.pointee.key_len
                read.append(message)
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            let partition = message.pointee.rkt.map {
                TopicPartition(String(cString: rd_kafka_topic_name($0)), message.pointee.partition)
            }
            if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                if reportsPartitionEvents, let partition {
                    events.append(KafkaPartitionEvent(partition, .end(nextOffset: message.pointee.offset)))
                }
            } else {
                let reason = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? KafkaErrorCode(err).text
                let error = KafkaError.operation("consume\(partition.map { " \($0)" } ?? "")", err, reason: reason)
                logger.warning("\(error)")
                client.context.report(error)
                if reportsPartitionEvents, let partition {
                    events.append(KafkaPartitionEvent(partition, .failed(error)))
                }
            }
        }
        var batch = poll.reader.read(read, bytes: bytes)
        for message in read { rd_kafka_message_destroy(message) }
        if !batch.isEmpty {
            poll.averageMessageBytes = 0.9 * poll.averageMessageBytes + 0.1 * Double(bytes) / Double(batch.count)
        }
        carryOut(poll.positions.handOut(&batch, events: &events))
        let resume = shared.withLock { $0.buffer.append(batch, events: events) }
        if let (waiter, batch) = resume { waiter.resume(returning: batch) }
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
