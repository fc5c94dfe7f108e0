import CKafka
import Logging
import Synchronization

/// Publishes records to Kafka and reports, per record, where it landed.
///
/// Idempotent by default (see ``KafkaProducerConfiguration``). A dedicated thread serves
/// librdkafka's delivery reports (`rd_kafka_poll`), and each report resumes exactly the task that
/// awaits it, so `send` never polls. While a broker is down, records wait and are retried by
/// librdkafka until `message.timeout.ms`; only then does `send` throw.
///
/// Call ``shutdown()`` before dropping the producer so queued records are flushed.
public final class KafkaProducer: Sendable {
    /// Errors librdkafka reports outside any single send (broker unreachable, fatal idempotence
    /// failures…). When ``KafkaError/isFatal`` is true, recreate the producer.
    public let errors: AsyncStream<KafkaError>

    private let client: RDKafkaClient
    private let pollThread: RDKafkaThread
    private let blocking = RDKafkaBlockingQueue(label: "kafka.producer.blocking")
    private let closed = Atomic<Bool>(false)
    private let logger: Logger

    /// Creates the producer and starts its delivery-report thread.
    ///
    /// - Throws: ``KafkaError/invalidConfiguration(key:value:reason:)`` naming a rejected property.
    public init(
        configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "kafka.producer")
    ) throws(KafkaError) {
        let (errors, errorContinuation) = AsyncStream.makeStream(
            of: KafkaError.self, bufferingPolicy: .bufferingNewest(100))
        let context = RDKafkaCallbackContext(
            logger: logger, bootstrapServers: configuration.kafka.bootstrapServers, errors: errorContinuation
        )
        let client = try RDKafkaClient(kind: .producer, properties: configuration.kafka.properties, context: context) {
            conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                RDKafkaDeliveryWaiter.complete(opaque: opaque) { topic in KafkaProducer.report(message, topic: topic) }
            }
        }
        self.errors = errors
        self.client = client
        self.logger = logger
        self.pollThread = RDKafkaThread(name: "kafka-producer-poll") { [client] thread in
            while !thread.isStopRequested {
                rd_kafka_poll(client.handle, 100)
            }
        }
    }

    deinit {
        pollThread.requestStop()
    }

    // MARK: - Sending

    /// Produces one record and waits for the broker's acknowledgement.
    ///
    /// - Returns: the partition and offset the record was written to.
    /// - Throws: ``KafkaError`` when the record could not be enqueued or was not delivered within
    ///   `message.timeout.ms` (e.g. ``KafkaError/deliveryFailed(topic:failure:)``
    ///   with ``KafkaErrorCode/messageTimedOut``).
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        let waiter = RDKafkaDeliveryWaiter(topics: [message.topic])
        if let error = await enqueue(message, topic: client.topic(message.topic), waiter: waiter, index: 0) {
            throw error
        }
        let reports = await waiter.wait()
        return try reports[0].get()
    }

    /// Produces many records, then waits once for all their acknowledgements.
    ///
    /// - Returns: one report per input record, in input order; a record that failed carries its
    ///   ``KafkaDeliveryReport/error`` instead of making the whole call throw. Records after one
    ///   that librdkafka refused to take (an unknown topic, too large) are not sent and carry the
    ///   same error, so a batch never reaches the topic with a gap in its order.
    /// - Throws: ``KafkaError/closed(operation:)`` when the producer was already shut down.
    public func send(batch messages: [KafkaOutgoingMessage]) async throws -> [KafkaDeliveryReport] {
        try await send(messages, at: nil)
    }

    /// ``send(batch:)`` of the records of `messages` at `indexes` (all of them when nil), in that
    /// order, without copying them out of `messages`; one report per record sent, in that order.
    private func send(_ messages: [KafkaOutgoingMessage], at indexes: [Int]?) async throws -> [KafkaDeliveryReport] {
        let count = indexes?.count ?? messages.count
        guard count > 0 else { return [] }
        guard !closed.load(ordering: .acquiring) else { throw KafkaError.closed(operation: "send") }
        let waiter = RDKafkaDeliveryWaiter(topics: (0..<count).map { messages[indexes?[$0] ?? $0].topic })
        // Once a record cannot be handed over, the ones after it are not sent (each reports the
        // same error): sending them would let a later record of a key reach the topic before an
        // earlier one that the caller then has to send again.
        var failure: KafkaError?
        // A batch names few topics: their handles are looked up once per batch, not per record.
        var topics: [(name: String, handle: OpaquePointer?)] = []
        for position in 0..<count {
            let index = indexes?[position] ?? position
            if failure == nil {
                let name = messages[index].topic
                let topic: OpaquePointer?
                if let known = topics.first(where: { $0.name == name }) {
                    topic = known.handle
                } else {
                    topic = client.topic(name)
                    topics.append((name, topic))
                }
                failure = await enqueue(messages[index], topic: topic, waiter: waiter, index: position)
            }
            if let failure {
                let message = messages[index]
                waiter.complete(
                    index: position,
                    report: KafkaDeliveryReport(
                        topic: message.topic, partition: message.partition ?? -1, offset: nil, error: failure)
                )
            }
        }
        return await waiter.wait()
    }

    /// Produces many records so that no record reaches its topic before every earlier record with
    /// the same topic and key was delivered; waits for all their acknowledgements.
    ///
    /// librdkafka keeps a partition's records in order while it retries them, but a record that
    /// fails for good (a permanent produce error, or `message.timeout.ms`) leaves a gap: later
    /// records of the partition in other requests are still written (the idempotent producer
    /// re-sequences them), so sending the failed one again puts it after them. Here the records go
    /// in rounds: round `k` holds the `k`-th record of every topic and key (records without a key
    /// go in the first) and is sent once the round before it was delivered whole. A batch whose keys each have one record
    /// is one round, as with ``send(batch:)``; each further record of one key costs a round trip.
    ///
    /// - Returns: one report per input record, in input order. After a round with a failed record
    ///   the later rounds are not sent: their records carry that failure's error, so a caller that
    ///   sends the batch again sends each key's records from its first undelivered one on, in order.
    /// - Throws: ``KafkaError/closed(operation:)`` when the producer was already shut down.
    public func send(keyOrdered messages: [KafkaOutgoingMessage]) async throws -> [KafkaDeliveryReport] {
        let rounds = KafkaKeyOrder.rounds(messages)
        guard rounds.count > 1 else { return try await send(batch: messages) }
        var reports = messages.map { KafkaDeliveryReport(topic: $0.topic, partition: $0.partition ?? -1, offset: nil) }
        var failure: KafkaError?
        for round in rounds {
            if let failure {
                for index in round { reports[index].error = failure }
                continue
            }
            let delivered = try await send(messages, at: round)
            for (index, report) in zip(round, delivered) { reports[index] = report }
            failure = delivered.lazy.compactMap(\.error).first
        }
        return reports
    }

    /// Hands one record to librdkafka, backing off asynchronously while its queue is full.
    /// `topic` is the handle of the record's topic (``RDKafkaClient/topic(_:)``); when nil the
    /// record is produced by topic name.
    private func enqueue(
        _ message: KafkaOutgoingMessage, topic: OpaquePointer?, waiter: RDKafkaDeliveryWaiter, index: Int
    ) async -> KafkaError? {
        var backoffMilliseconds = 1
        while true {
            guard !closed.load(ordering: .acquiring) else { return .closed(operation: "send") }
            let err = produce(message, topic: topic, opaque: waiter.retainedOpaque(index: index))
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                // The poll thread keeps draining delivery reports meanwhile; sleeping (not
                // spinning) leaves the cooperative thread free for other work.
                try? await Task.sleep(for: .milliseconds(backoffMilliseconds))
                backoffMilliseconds = min(backoffMilliseconds * 2, 64)
                continue
            }
            return .operation("produce to topic '\(message.topic)'", err)
        }
    }

    private func produce(
        _ message: KafkaOutgoingMessage, topic: OpaquePointer?, opaque: UnsafeMutableRawPointer
    ) -> rd_kafka_resp_err_t {
        let headers = RDKafkaHeaders.make(message.headers)
        let err = Self.withBytes(message.key) { keyPointer, keyCount in
            Self.withBytes(message.value) { valuePointer, valueCount in
                func produce(named name: UnsafePointer<CChar>?) -> rd_kafka_resp_err_t {
                    ck_produce(
                        client.handle, topic, name, message.partition ?? RD_KAFKA_PARTITION_UA,
                        keyPointer, keyCount, valuePointer, valueCount, headers,
                        message.timestampMilliseconds ?? 0, opaque)
                }
                // The name is only needed without a handle.
                return topic == nil ? message.topic.withCString(produce(named:)) : produce(named: nil)
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            // librdkafka took ownership of neither the headers nor the opaque.
            if let headers { rd_kafka_headers_destroy(headers) }
            RDKafkaDeliveryWaiter.release(opaque: opaque)
        }
        return err
    }

    /// Passes NULL for a nil key (no key) and a valid pointer for empty bytes (empty, not null).
    private static func withBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
        guard let bytes else { return body(nil, 0) }
        if bytes.isEmpty {
            var byte: UInt8 = 0
            return withUnsafeBytes(of: &byte) { body($0.baseAddress, 0) }
        }
        return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }

    static func report(_ message: UnsafePointer<rd_kafka_message_t>, topic: String) -> KafkaDeliveryReport {
        let m = message.pointee
        guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let code = KafkaErrorCode(m.err)
            var reason = code.text
            if code == .messageTimedOut {
                reason += " (not acknowledged within message.timeout.ms; are the brokers reachable?)"
            }
            let error = KafkaError.deliveryFailed(topic: topic, failure: KafkaFailure(code: code, reason: reason))
            return KafkaDeliveryReport(topic: topic, partition: m.partition, offset: nil, error: error)
        }
        return KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset)
    }

    // MARK: - Flush and shutdown

    /// Waits until every queued record has been acknowledged or failed, or `timeout` passes.
    /// Runs `rd_kafka_flush` on a dedicated queue, never on the cooperative pool.
    ///
    /// - Throws: ``KafkaError`` with ``KafkaErrorCode/timedOut`` when records remain after `timeout`.
    public func flush(timeout: Duration = .seconds(10)) async throws {
        guard !closed.load(ordering: .acquiring) else { throw KafkaError.closed(operation: "flush") }
        let client = self.client
        let milliseconds = Self.milliseconds(timeout)
        let err = await blocking.run { rd_kafka_flush(client.handle, milliseconds) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.operation("flush (\(rd_kafka_outq_len(client.handle)) records still queued)", err)
        }
    }

    /// The low (oldest) and high (next to be written) offsets of a partition of any topic, asked of
    /// its leader. A producer's connections carry no long-polling fetches, so the answer waits
    /// behind produce requests at most.
    ///
    /// - Throws: ``KafkaError`` when the producer is shut down or no leader answers within `timeout`.
    public func watermarks(
        topic: String, partition: Int32, timeout: Duration = .seconds(10)
    ) async throws -> (low: Int64, high: Int64) {
        guard !closed.load(ordering: .acquiring) else { throw KafkaError.closed(operation: "watermarks") }
        let client = self.client
        let milliseconds = Self.milliseconds(timeout)
        return try await blocking.run {
            client.watermarks(topic: topic, partition: partition, timeoutMilliseconds: milliseconds)
        }.get()
    }

    /// Fails every record not yet acknowledged (queued or in flight) with a purge error, so each
    /// `send` waiting for one returns at once instead of after `message.timeout.ms`.
    ///
    /// For giving up on a broker that is not there (a shutdown during an outage) when the caller
    /// keeps its own copy of what it sent: a record already in flight may still be delivered.
    public func purge() {
        guard !closed.load(ordering: .acquiring) else { return }
        // Non-blocking: the caller may be on the cooperative pool, and the purged records'
        // reports reach their senders through the poll thread anyway.
        _ = client.using {
            rd_kafka_purge(
                $0, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING))
        }
    }

    /// Flushes queued records (up to `timeout`), fails whatever remains so no `send` waits
    /// forever, stops the poll thread and destroys the client. Idempotent.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let client = self.client
        let milliseconds = Self.milliseconds(timeout)
        let logger = self.logger
        await blocking.run {
            if rd_kafka_flush(client.handle, milliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning(
                    "producer shutdown: \(rd_kafka_outq_len(client.handle)) records not delivered in time; purging")
                rd_kafka_purge(client.handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                // Serves the purge delivery reports so awaiting senders get an error.
                rd_kafka_flush(client.handle, 1_000)
            }
        }
        pollThread.requestStop()
        await pollThread.join()
        await blocking.run { client.destroy() }
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(total, 0))
    }
}
