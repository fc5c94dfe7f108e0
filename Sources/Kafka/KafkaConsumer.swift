import CKafka
import Logging
import Synchronization

/// Reads records from Kafka as a consumer-group member (``subscribe(topics:)``) or from
/// explicitly chosen partitions (``assign(_:)``), delivering them as ``batches``.
///
/// One dedicated thread polls librdkafka (`rd_kafka_consume_batch_queue`) and fills a bounded
/// buffer; when the application falls behind, fetching pauses until it catches up. Offsets are
/// the application's: it calls ``storeOffsets(_:)`` after processing and ``commit()`` when it
/// likes; before a partition is released in a rebalance, the ``KafkaRebalanceListener`` runs and
/// stored offsets are committed. Blocking librdkafka calls never run on the cooperative pool.
///
/// Call ``close()`` to leave the group cleanly.
public final class KafkaConsumer: Sendable {
    /// Errors librdkafka reports outside a specific call (broker unreachable, consume errors,
    /// failed commits during rebalances, fatal errors).
    public let errors: AsyncStream<KafkaError>

    private let engine: RDKafkaConsumerEngine
    private let thread: RDKafkaThread
    private let blocking: RDKafkaBlockingQueue
    private let hasGroup: Bool
    private let closed = Atomic<Bool>(false)

    /// The consumed messages, in batches; see ``KafkaMessageBatches``.
    public var batches: KafkaMessageBatches { KafkaMessageBatches(engine: engine) }

    /// Partition ends and read failures learned since the last call, in the order they were
    /// read, each only once every message read before it was handed out by ``batches``. Always
    /// empty unless the consumer was configured with `enable.partition.eof=true`; such a consumer
    /// may also hand out an empty batch, to wake a reader when only events arrived.
    public func takePartitionEvents() -> [KafkaPartitionEvent] {
        engine.takePartitionEvents()
    }

    /// Creates the consumer and starts its poll thread. Nothing is fetched until
    /// ``subscribe(topics:)`` or ``assign(_:)``.
    ///
    /// - Parameter rebalanceListener: hooks run on partition assignment and before revocation.
    /// - Throws: ``KafkaError/invalidConfiguration(key:value:reason:)`` naming a rejected property.
    public init(
        configuration: KafkaConsumerConfiguration,
        rebalanceListener: (any KafkaRebalanceListener)? = nil,
        logger: Logger = Logger(label: "kafka.consumer")
    ) throws(KafkaError) {
        var properties = configuration.kafka.properties
        hasGroup = properties["group.id"].map { !$0.isEmpty } ?? false
        if !hasGroup {
            // librdkafka only offers assign() and the consumer queue with a group; a private,
            // never-joined group id gives direct assignment without any group membership.
            properties["group.id"] = "kafka-direct-\(UInt64.random(in: 0...UInt64.max))"
            // No group is ever joined, so no assignor runs; librdkafka 2.0.2's cooperative-sticky
            // assignor can abort on destroy when it never produced an assignment (LRK-1,
            // upstream #4312, fixed in 2.3.0).
            if configuration.kafka["partition.assignment.strategy"] == "cooperative-sticky" {
                properties["partition.assignment.strategy"] = "range"
            }
        }
        let (errors, errorContinuation) = AsyncStream.makeStream(
            of: KafkaError.self, bufferingPolicy: .bufferingNewest(100))
        let context = RDKafkaCallbackContext(
            logger: logger, bootstrapServers: configuration.kafka.bootstrapServers, errors: errorContinuation
        )
        let client = try RDKafkaClient(kind: .consumer, properties: properties, context: context) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let partitions, let context = RDKafkaCallbackContext.from(opaque) else { return }
                context.rebalance(client: rk, err: err, partitions: partitions)
            }
        }
        let blocking = RDKafkaBlockingQueue(label: "kafka.consumer.blocking")
        let engine = try RDKafkaConsumerEngine(
            client: client, properties: properties, listener: rebalanceListener,
            bufferCapacity: configuration.bufferCapacity, bufferCapacityBytes: configuration.bufferCapacityBytes,
            maxBatchSize: configuration.maxBatchSize, blocking: blocking, logger: logger
        )
        context.setRebalanceHandler { _, err, partitions in
            engine.rebalance(err: err, partitions: partitions)
        }
        self.errors = errors
        self.engine = engine
        self.blocking = blocking
        self.thread = RDKafkaThread(name: "kafka-consumer-poll") { thread in
            engine.run(thread)
            // Serialised with commit/committed/watermarks, which check for destruction first.
            if client.skipsConsumerClose {
                // The close was given up on (no broker answering): librdkafka's destroy still
                // waits for the group state to wind down, up to session.timeout.ms (LRK-10). Let it do so
                // in the background instead of holding close() (and a shutdown) for that long.
                blocking.async { client.destroy() }
            } else {
                blocking.runBlocking { client.destroy() }
            }
        }
    }

    deinit {
        thread.requestStop()
        engine.wake()
    }

    // MARK: - What to consume

    /// Joins the group and consumes `topics`; partitions arrive through rebalances.
    ///
    /// - Throws: ``KafkaError`` when the consumer has no `group.id` or librdkafka refuses.
    public func subscribe(topics: [String]) async throws {
        guard hasGroup else {
            throw KafkaError.invalidConfiguration(
                key: "group.id", value: "", reason: "subscribe(topics:) needs a consumer group")
        }
        if let error = try await perform("subscribe", { $0.subscribeNow(topics) }) { throw error }
    }

    /// Consumes exactly these partitions from the given positions, without joining a group
    /// (like `kcat -C`): fetching starts at once. Replaces any previous direct assignment.
    public func assign(_ partitions: [TopicPartition: KafkaOffset]) async throws {
        if let error = try await perform("assign", { $0.assignNow(partitions) }) { throw error }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() -> [TopicPartition] {
        engine.assignment.sorted()
    }

    // MARK: - Flow

    /// Stops delivering `partitions` until ``resume(_:)``: nothing of them is handed out after
    /// this returns (buffered messages are dropped and re-read after resume). Group membership
    /// and heartbeats continue.
    public func pause(_ partitions: [TopicPartition]) async throws {
        if let error = try await perform("pause", { $0.pauseNow(Set(partitions)) }) { throw error }
    }

    /// Resumes delivery of partitions paused with ``pause(_:)``.
    public func resume(_ partitions: [TopicPartition]) async throws {
        if let error = try await perform("resume", { $0.resumeNow(Set(partitions)) }) { throw error }
    }

    /// Makes the next message of `partition` the one at `offset` (e.g. to re-read after a
    /// failure). Buffered messages of the partition are dropped. The partition must be assigned.
    public func seek(_ partition: TopicPartition, to offset: Int64) async throws {
        if let error = try await perform("seek", { $0.seekNow(partition, offset) }) { throw error }
    }

    private func perform(
        _ operation: String, _ body: @escaping @Sendable (RDKafkaConsumerEngine) -> KafkaError?
    ) async throws -> KafkaError? {
        guard let result = await engine.perform(body) else { throw KafkaError.closed(operation: operation) }
        return result
    }

    // MARK: - Offsets

    /// Records, for each partition, the offset of the next message to consume (last processed
    /// offset + 1), to be committed by ``commit()`` or before the partition is revoked.
    /// Non-blocking and thread-safe.
    ///
    /// - Throws: ``KafkaError`` (e.g. ``KafkaErrorCode/state`` for a partition not assigned).
    public func storeOffsets(_ offsets: [TopicPartition: Int64]) throws {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(offsets: offsets)
        guard let err = engine.client.using({ handle in list.withPointer { rd_kafka_offsets_store(handle, $0) } })
        else {
            throw KafkaError.closed(operation: "store offsets")
        }
        if let failed = list.entries.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            throw KafkaError.operation("store offset for \(failed.topicPartition)", failed.error)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.operation("store offsets", err) }
    }

    /// Commits the stored offsets and waits for the broker, at most `timeout` (then it throws
    /// `__TIMED_OUT`; the commit may still land). Having nothing to commit is success.
    ///
    /// Bounded because without a reachable coordinator librdkafka holds a commit for up to
    /// `session.timeout.ms`, and a commit still waiting would hold up ``close()`` (LRK-10).
    public func commit(timeout: Duration = .seconds(5)) async throws {
        let client = engine.client
        let err = await blocking.run { () -> rd_kafka_resp_err_t? in
            guard !client.isDestroyed else { return nil }
            return RDKafkaConsumerEngine.commitStored(client.handle, until: .now + timeout)
        }
        guard let err else { throw KafkaError.closed(operation: "commit") }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError.operation("commit", err)
        }
    }

    /// Commits exactly these offsets (next offset to consume per partition) and waits.
    public func commit(offsets: [TopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        let client = engine.client
        let result = await blocking.run { () -> (rd_kafka_resp_err_t, [RDKafkaTopicPartitionList.Entry])? in
            guard !client.isDestroyed else { return nil }
            let list = RDKafkaTopicPartitionList(offsets: offsets)
            let err = list.withPointer { rd_kafka_commit(client.handle, $0, 0) }
            return (err, list.entries)
        }
        guard let (err, entries) = result else { throw KafkaError.closed(operation: "commit") }
        if let failed = entries.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            throw KafkaError.operation("commit offset for \(failed.topicPartition)", failed.error)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.operation("commit", err) }
    }

    /// The group's committed offsets (next offset to consume), nil where none is committed.
    public func committed(
        _ partitions: [TopicPartition], timeout: Duration = .seconds(10)
    ) async throws -> [TopicPartition: Int64?] {
        guard !partitions.isEmpty else { return [:] }
        let client = engine.client
        let milliseconds = KafkaProducer.milliseconds(timeout)
        let result = await blocking.run { () -> (rd_kafka_resp_err_t, [RDKafkaTopicPartitionList.Entry])? in
            guard !client.isDestroyed else { return nil }
            let list = RDKafkaTopicPartitionList(partitions)
            let err = list.withPointer { rd_kafka_committed(client.handle, $0, milliseconds) }
            return (err, list.entries)
        }
        guard let (err, entries) = result else { throw KafkaError.closed(operation: "committed") }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.operation("read committed offsets", err) }
        var offsets: [TopicPartition: Int64?] = [:]
        for entry in entries {
            if entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.operation("read committed offset of \(entry.topicPartition)", entry.error)
            }
            offsets[entry.topicPartition] = entry.offset >= 0 ? entry.offset : nil
        }
        return offsets
    }

    /// The low (oldest) and high (next to be written) offsets of a partition, asked of its leader.
    public func watermarks(
        topic: String, partition: Int32, timeout: Duration = .seconds(10)
    ) async throws -> (low: Int64, high: Int64) {
        let client = engine.client
        let milliseconds = KafkaProducer.milliseconds(timeout)
        return try await blocking.run {
            client.watermarks(topic: topic, partition: partition, timeoutMilliseconds: milliseconds)
        }.get()
    }

    /// For each partition, the offset of the first message whose timestamp is at or after
    /// `milliseconds` (since the epoch), or nil when there is none (the time is past the end).
    /// Used to turn "replay from this time" into offsets.
    public func offsets(
        atOrAfter milliseconds: Int64, in partitions: [TopicPartition], timeout: Duration = .seconds(10)
    ) async throws -> [TopicPartition: Int64?] {
        guard !partitions.isEmpty else { return [:] }
        let client = engine.client
        let timeoutMilliseconds = KafkaProducer.milliseconds(timeout)
        let result = await blocking.run { () -> (rd_kafka_resp_err_t, [RDKafkaTopicPartitionList.Entry])? in
            guard !client.isDestroyed else { return nil }
            let list = RDKafkaTopicPartitionList(partitions, offset: milliseconds)
            let err = list.withPointer { rd_kafka_offsets_for_times(client.handle, $0, timeoutMilliseconds) }
            return (err, list.entries)
        }
        guard let (err, entries) = result else { throw KafkaError.closed(operation: "offsets for times") }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.operation("look up offsets for a time", err) }
        var offsets: [TopicPartition: Int64?] = [:]
        for entry in entries {
            if entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.operation("look up the offset for a time in \(entry.topicPartition)", entry.error)
            }
            offsets[entry.topicPartition] = entry.offset >= 0 ? entry.offset : nil
        }
        return offsets
    }

    /// All partitions of `topic`, from cluster metadata.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) async throws -> [TopicPartition] {
        let client = engine.client
        let milliseconds = KafkaProducer.milliseconds(timeout)
        let result = await blocking.run { () -> Result<Int, KafkaError> in
            guard !client.isDestroyed else { return .failure(.closed(operation: "metadata")) }
            return RDKafkaMetadata.partitionCount(client.handle, topic: topic, timeoutMilliseconds: milliseconds)
        }
        let count = try result.get()
        return (0..<count).map { TopicPartition(topic, Int32($0)) }
    }

    /// The cluster's brokers and, for each of `topics`, whether it exists and its partition
    /// count, from cluster metadata. Asking does not create a missing topic (the request carries
    /// `allow.auto.create.topics`, false by default for a consumer).
    ///
    /// - Throws: ``KafkaError`` when no broker answers within `timeout` (one deadline for all of
    ///   `topics`); a topic's own error (``KafkaErrorCode/unknownTopicOrPartition``) is in its
    ///   description instead.
    public func describeTopics(
        _ topics: [String], timeout: Duration = .seconds(10)
    ) async throws -> KafkaClusterMetadata {
        let client = engine.client
        let milliseconds = KafkaProducer.milliseconds(timeout)
        let result = await blocking.run { () -> Result<KafkaClusterMetadata, KafkaError> in
            guard !client.isDestroyed else { return .failure(.closed(operation: "metadata")) }
            return RDKafkaMetadata.describe(client.handle, topics: topics, timeoutMilliseconds: milliseconds)
        }
        return try result.get()
    }

    /// The configuration values (`retention.ms`, `cleanup.policy`, …) of each of `topics`, as the
    /// cluster's controller reports them (DescribeConfigs); a topic it reported an error for is
    /// left out.
    ///
    /// - Throws: ``KafkaError`` when the request fails or times out, as it does against a broker
    ///   without DescribeConfigs or librdkafka 2.0.2's mock cluster (which names no controller).
    public func topicConfigurations(
        _ topics: [String], timeout: Duration = .seconds(10)
    ) async throws -> [String: [String: String]] {
        let client = engine.client
        let milliseconds = KafkaProducer.milliseconds(timeout)
        let result = await blocking.run { () -> Result<[String: [String: String]], KafkaError> in
            guard !client.isDestroyed else { return .failure(.closed(operation: "describe configs")) }
            return RDKafkaTopicConfigs.describe(client.handle, topics: topics, timeoutMilliseconds: milliseconds)
        }
        return try result.get()
    }

    // MARK: - Closing

    /// Leaves the group (running the revoke hook and committing stored offsets first), ends
    /// ``batches`` and frees the client. Idempotent.
    public func close() async {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            thread.requestStop()
            engine.wake()
        }
        await thread.join()
    }
}
