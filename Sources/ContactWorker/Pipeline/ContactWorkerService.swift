import ContactDomain
import ContactStore
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// The worker: consume → authenticate → apply → persist → publish → commit.
///
/// Each batch of consumed commands becomes one store transaction (state, idempotency records,
/// outbox rows and the partitions' next offsets together), then its outbox rows are published with
/// the idempotent producer, then the offsets are stored for the next Kafka commit; the next
/// batch's transaction marks the delivered rows published. Up to three batches are in flight. The database, not Kafka, is the source of truth for where a partition resumes: on
/// assignment the worker starts each partition from the offset stored with the last batch.
///
/// Transient failures (database or broker unavailable) are retried with capped exponential
/// backoff on the same batch; the consumer's bounded buffer pauses fetching meanwhile, so nothing
/// is skipped or reordered, and readiness reports not-ready. On graceful shutdown the worker stops
/// taking batches, finishes those in flight (publishing gets ``Configuration/shutdownPublishGrace``),
/// leaves the group (committing offsets) and flushes the producer.
public final class ContactWorkerService: Service, Sendable {
    /// Settings of the pipeline itself (Kafka and database settings live with their clients).
    public struct Configuration: Sendable {
        public var topics: WorkerTopics
        public var group: String
        public var eventSource: String
        public var initialBackoff: Duration
        public var maximumBackoff: Duration
        /// How often stored offsets are committed to Kafka (the database has them already).
        public var commitInterval: Duration
        /// The smallest batch that is planned while the batch before it is still being written,
        /// and after which the next batch is taken before this one is written. Under light load
        /// waiting lets more messages join the next batch (fewer, larger transactions: lower
        /// latency); under heavy load (full batches) planning ahead keeps the database busy
        /// (measured with SQLite: 4,000 → 5,700 commands/s).
        public var planAheadMinimum: Int
        /// How long delivered outbox rows may wait for the next batch's transaction to mark them
        /// published before they get a transaction of their own (when traffic pauses).
        public var markPublishedInterval: Duration
        /// How long a graceful shutdown waits for publishing to finish. Past it, deliveries still
        /// waiting for the broker are given up (the rows stay in the outbox and the next start
        /// publishes them), so a shutdown during a broker outage still ends in time (SPEC §9:
        /// under 30 s).
        public var shutdownPublishGrace: Duration
        /// Apply pending migrations before anything else (`DATABASE_MIGRATE`), waiting with
        /// capped backoff while the database is unreachable. It runs inside the service, so the
        /// HTTP side already answers meanwhile: liveness 200, readiness 503 with the reason.
        public var migrateStore: Bool

        public init(
            topics: WorkerTopics = WorkerTopics(),
            group: String = "contact-worker",
            eventSource: String = ContactEvent.defaultSource,
            initialBackoff: Duration = .milliseconds(100),
            maximumBackoff: Duration = .seconds(5),
            commitInterval: Duration = .seconds(1),
            markPublishedInterval: Duration = .milliseconds(100),
            planAheadMinimum: Int = 250,
            shutdownPublishGrace: Duration = .seconds(10),
            migrateStore: Bool = false
        ) {
            self.topics = topics
            self.group = group
            self.eventSource = eventSource
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.commitInterval = commitInterval
            self.markPublishedInterval = markPublishedInterval
            self.planAheadMinimum = planAheadMinimum
            self.shutdownPublishGrace = shutdownPublishGrace
            self.migrateStore = migrateStore
        }
    }

    public let health: WorkerHealth

    /// The partitions the worker's consumer holds now (for the consumer-lag metric).
    public var assignedPartitions: [TopicPartition] { consumer.assignment() }
    private let configuration: Configuration
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let store: any ContactStore
    private let processor: CommandBatchProcessor
    private let publisher: OutboxPublisher
    private let ownership: PartitionOwnership
    private let observer: any WorkerObserver
    private let logger: Logger
    /// Set when a batch's publishing was abandoned with its rows left pending: until those rows
    /// are out, no later batch may publish its own rows past them (see ``publish(_:)``). The
    /// generation counts every time it is set, so a drain clears only what it started after: rows
    /// left behind while it ran wait for the next one.
    private let abandonedRowsPending = Mutex((pending: false, generation: 0))
    /// The graceful shutdown's progress (shared with the rebalance hooks).
    private let shutdown: ShutdownProgress
    /// Fatal errors met while retrying (the idempotent producer fenced, say): no retry can help,
    /// so they stop the worker like the consumer's and producer's own fatal errors.
    private let fatalReasons = AsyncStream.makeStream(of: String.self)

    /// Creates the worker and its consumer (the consumer needs the worker's rebalance hooks).
    public convenience init(
        configuration: Configuration,
        consumerConfiguration: KafkaConsumerConfiguration,
        producer: KafkaProducer,
        store: any ContactStore,
        verifier: TokenVerifier,
        observer: any WorkerObserver = NoWorkerObserver(),
        health: WorkerHealth = WorkerHealth(),
        logger: Logger = Logger(label: "contact-worker")
    ) throws {
        try self.init(
            configuration: configuration, consumerConfiguration: consumerConfiguration, producer: producer, store: store,
            verifier: verifier, observer: observer, health: health, logger: logger, beforeSending: nil)
    }

    /// The same, with the publisher's test seam (``OutboxPublisher/beforeSending``).
    init(
        configuration: Configuration,
        consumerConfiguration: KafkaConsumerConfiguration,
        producer: KafkaProducer,
        store: any ContactStore,
        verifier: TokenVerifier,
        observer: any WorkerObserver,
        health: WorkerHealth,
        logger: Logger,
        beforeSending: (@Sendable ([OutboxMessage]) async throws -> Void)?
    ) throws {
        var consumerConfiguration = consumerConfiguration
        consumerConfiguration.groupID = configuration.group
        let ownership = PartitionOwnership()
        let publisher = OutboxPublisher(store: store, producer: producer, logger: logger, beforeSending: beforeSending)
        let shutdown = ShutdownProgress()
        let listener = RebalanceHooks(
            store: store, publisher: publisher, ownership: ownership, shutdown: shutdown, group: configuration.group,
            topic: configuration.topics.commands, backoff: Backoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff),
            health: health, observer: observer, logger: logger)
        self.consumer = try KafkaConsumer(configuration: consumerConfiguration, rebalanceListener: listener, logger: logger)
        self.configuration = configuration
        self.producer = producer
        self.store = store
        self.ownership = ownership
        self.shutdown = shutdown
        self.publisher = publisher
        self.observer = observer
        self.health = health
        self.logger = logger
        self.processor = CommandBatchProcessor(
            context: .init(
                store: store, verifier: verifier, topics: configuration.topics, group: configuration.group,
                eventSource: configuration.eventSource, logger: logger))
    }

    /// Runs until graceful shutdown (SIGTERM/SIGINT through ServiceLifecycle) or a fatal error.
    ///
    /// A graceful shutdown takes at most ``Configuration/shutdownPublishGrace`` plus the time to
    /// leave the group, even during a broker outage: what could not be published by then stays
    /// in the outbox, and the next start publishes it before new work.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.work()
        } onGracefulShutdown: {
            self.beginStopping()
        }
        shutdown.finish()
        await consumer.close()
        await producer.shutdown(timeout: .seconds(10))
        logger.info("worker stopped")
    }

    /// Stops taking batches and starts the publishing grace; ends the consume loop by closing
    /// the consumer (its revoke waits for the batches in flight).
    private func beginStopping() {
        let grace = configuration.shutdownPublishGrace
        let timer = Task {
            do { try await Task.sleep(for: grace) } catch { return }
            self.shutdown.endGrace()
            self.logger.notice(
                "publishing did not finish within the shutdown grace; what is left stays in the outbox for the next start",
                metadata: ["grace": "\(grace)"])
            self.producer.purge()
        }
        guard shutdown.begin(graceTimer: timer) else { return }
        health.setStopping()
        Task { await self.consumer.close() }
    }

    private func work() async throws {
        guard try await prepareStoreWhenReachable() else { return }
        // Rows a previous run committed but did not publish go out with their partitions: whoever
        // is assigned a partition publishes its rows first (RebalanceHooks). Rows written before
        // source partitions were stored belong to no partition and go out here, before new work.
        let republished: Int
        do {
            republished = try await retrying(.publish, "publishing pending outbox rows") {
                try await self.publisher.drain(sourcePartitions: [])
            }
        } catch is CancellationError where shutdown.requested {
            logger.notice("stopped before the rows left by a previous build were published; the next start publishes them")
            return
        }
        if republished > 0 {
            logger.info("published outbox rows left by a previous build", metadata: ["count": "\(republished)"])
        }
        guard !shutdown.requested else { return }
        try await consumer.subscribe(topics: [configuration.topics.commands])
        health.setJoined(true)
        logger.info(
            "worker started",
            metadata: ["topic": "\(configuration.topics.commands)", "group": "\(configuration.group)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.watchFatalErrors() }
            group.addTask {
                for await error in self.producer.errors where error.isFatal {
                    self.logger.critical("fatal Kafka producer error; stopping", metadata: ["error": "\(error)"])
                    throw WorkerError.fatalKafkaError(error.description)
                }
            }
            group.addTask {
                for await reason in self.fatalReasons.stream {
                    self.logger.critical("fatal error while retrying; stopping", metadata: ["error": "\(reason)"])
                    throw WorkerError.fatalKafkaError(reason)
                }
            }
            group.addTask { await self.watchBrokersComingBack() }
            // A failed Kafka commit only means a new owner without access to the database's
            // offsets would re-read (and deduplicate) a little more.
            group.addTask { await self.every(self.configuration.commitInterval, "offset commit") { try await self.consumer.commit() } }
            // Delivered rows no batch picked up (traffic paused): marked so the outbox backlog
            // drains and a restart does not re-publish them.
            group.addTask {
                await self.every(self.configuration.markPublishedInterval, "marking delivered rows published") {
                    try await self.publisher.flushAcknowledged()
                }
            }
            group.addTask { await self.consumeLoop() }
            // The consume loop ends on shutdown (the consumer closed); the others then stop.
            do {
                try await group.next()
            } catch {
                // A fatal error: the group waits for the consume loop, whose batches may be
                // retrying a database that is down. Nothing is retried any more, so it ends
                // within one backoff and the process exits (what is written stays in the outbox).
                shutdown.endGrace()
                throw error
            }
            group.cancelAll()
        }
    }

    // MARK: - The loop

    /// A batch whose outcomes are durable: what is left is publishing its outbox rows and
    /// storing its offsets for the Kafka commit.
    private struct CommittedBatch: Sendable {
        var rows: [OutboxMessage]
        var offsets: [TopicPartition: Int64]
        var summary: BatchSummary
        /// Logged once the batch is published.
        var decisions: [CommandDecision]
        var messages: [KafkaMessage]
        var started: ContinuousClock.Instant
        /// When planning and the store transaction finished (for the debug log's split of the batch's time).
        var planned: ContinuousClock.Instant
        var committed: ContinuousClock.Instant
    }

    private enum CommitOutcome: Sendable {
        case committed(CommittedBatch)
        /// Every partition of the batch was revoked while it waited to be retried.
        case abandoned
        /// A failure retrying cannot fix (not an outage): the batch must be split.
        case unprocessable(messages: [KafkaMessage], error: any Error)
    }

    /// A batch on its way through the pipeline.
    private struct InFlight {
        /// Ends when the batch's transaction did (or it was abandoned or found unprocessable);
        /// true when the transaction wrote exactly ``plan``.
        var written: Task<Bool, Never>
        /// Ends when the batch is published and its ticket ended.
        var finished: Task<Void, Never>
        /// What the batch was planned to write, when the loop planned it (nil when its commit
        /// plans for itself).
        var basis: PlanBasis?
    }

    /// What a batch was planned to write, for planning the next batch on top of it.
    ///
    /// State carried from a previous plan is valid only while that batch is still being written
    /// and no revoke or assign has happened since; anything else reads the database. Once the
    /// batch is written the database has it, and after an assignment change another worker may
    /// have changed the same contacts since this worker planned them.
    private final class PlanBasis: Sendable {
        let batch: StoreBatch
        /// ``PartitionOwnership/generation`` when the plan was made.
        let generation: Int
        private let writing = Atomic<Bool>(true)

        init(batch: StoreBatch, generation: Int) {
            self.batch = batch
            self.generation = generation
        }

        /// The batch's write ended (written or not): nothing is carried from it any more.
        func writeEnded() {
            writing.store(false, ordering: .releasing)
        }

        /// The state to plan the next batch on top of under assignment `generation`, or nil when
        /// that plan must read the database.
        func unwritten(generation current: Int) -> UnwrittenState? {
            guard writing.load(ordering: .acquiring), generation == current else { return nil }
            return UnwrittenState(planned: batch)
        }
    }

    /// Consumes batches in order, three at a time: while batch N is published, batch N+1 is
    /// written and batch N+2 is planned on top of what N+1 will write (the store does not have it
    /// yet). Planning ahead is for full batches only (``Configuration/planAheadMinimum``): after
    /// a small batch the loop waits for its write before taking the next one.
    ///
    /// Each stage keeps batch order: a batch is written after the one before it was, and its rows
    /// are handed to the producer only after the previous batch's were delivered, so each
    /// contact's events and results reach Kafka in command order. When a batch is not written as
    /// planned (a retry re-planned it, or it failed), the plan made on top of it is discarded and
    /// the next batch is planned again once everything before it is finished. What may be carried
    /// from one plan to the next is ``PlanBasis``'s rule.
    private func consumeLoop() async {
        var previous: InFlight?
        // Batches not yet published, oldest first. At most three: when publishing stalls (a
        // broker outage) the loop stops taking batches instead of writing and holding ever more,
        // and a revoke never waits for more than three.
        var unpublished: [Task<Void, Never>] = []
        for await messages in consumer.batches {
            // Partition ends mean nothing to the worker; with KAFKA_ENABLE_PARTITION_EOF=true they
            // would pile up untaken (and come with empty batches).
            _ = consumer.takePartitionEvents()
            guard !messages.isEmpty else { continue }
            while unpublished.count >= 3 { await unpublished.removeFirst().value }
            let ticket = ownership.begin(messages)
            var plan: CommandBatchProcessor.Plan?
            var planned: ContinuousClock.Instant?
            let started = ContinuousClock.now
            let firstOffset = ticket.messages.first.map { "\($0.topicPartition)@\($0.offset)" } ?? "-"
            var generation = ownership.generation
            if ticket.messages.count >= configuration.planAheadMinimum,
                let unwritten = previous?.basis?.unwritten(generation: generation)
            {
                // A failure here only means planning again below, once the previous batch is written.
                plan = try? await processor.plan(ticket.messages, now: Self.now(), unwritten: unwritten)
                planned = .now
            }
            if let previous, await !previous.written.value {
                if plan != nil {
                    logger.debug(
                        "previous batch not written as planned; planning this one again", metadata: ["first_offset": "\(firstOffset)"])
                }
                plan = nil
                await previous.finished.value
            }
            if plan != nil, ownership.generation != generation {
                logger.debug(
                    "partitions assigned or revoked while planning ahead; planning this batch again",
                    metadata: ["first_offset": "\(firstOffset)"])
                plan = nil
            }
            if plan == nil, !ticket.messages.isEmpty {
                // Without a plan here, commit() plans (and retries) by itself.
                generation = ownership.generation
                plan = try? await processor.plan(ticket.messages, now: Self.now())
                planned = .now
            }
            let prepared = plan.map { (plan: $0, started: started, planned: planned ?? .now) }
            let basis = plan.map { PlanBasis(batch: $0.batch, generation: generation) }
            let written = Task {
                defer { basis?.writeEnded() }
                return await self.commit(ticket.messages, prepared: prepared)
            }
            let finished = Task { [previousFinished = previous?.finished] in
                let outcome = await written.value.outcome
                await previousFinished?.value
                switch outcome {
                case .committed(let batch): await self.publish(batch)
                case .abandoned: break
                case .unprocessable(let messages, let error): await self.isolateFailure(messages, error: error)
                }
                self.ownership.end(ticket)
            }
            if ticket.messages.count < configuration.planAheadMinimum {
                // Light load: take the next batch only once this one is written and the one
                // before it published, so everything that arrives meanwhile joins it: fewer,
                // larger transactions (measured: lower latency than taking batches early).
                _ = await written.value
                await previous?.finished.value
            }
            previous = InFlight(written: Task { await written.value.asPlanned }, finished: finished, basis: basis)
            unpublished.append(finished)
        }
        await previous?.finished.value
        await publisher.flushAcknowledged(orLog: "the next start publishes them again")
    }

    /// Applies one batch in one store transaction, retrying transient failures with backoff.
    /// The first attempt writes `prepared` when given; every other attempt plans again. Every
    /// attempt first drops the messages of partitions no longer owned (the next owner re-reads
    /// them), and a prepared plan that covered any of them is made again.
    ///
    /// - Returns: the outcome, and whether what was written is exactly `prepared`.
    private func commit(
        _ batch: [KafkaMessage],
        prepared: (plan: CommandBatchProcessor.Plan, started: ContinuousClock.Instant, planned: ContinuousClock.Instant)? = nil
    ) async -> (outcome: CommitOutcome, asPlanned: Bool) {
        var messages = batch
        var prepared = prepared
        var backoff = Backoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff)
        // However the batch ends (written, split, abandoned), it no longer holds readiness back.
        defer { health.setBackingOff(.batch, nil) }
        while true {
            // Checked before every attempt, the first one included. A batch before this one may
            // have given up on some of these partitions (revoked while it waited to retry, or
            // past the shutdown grace); writing this batch's messages of those partitions would
            // store offsets past the ones it gave up on, and they would never be processed. The
            // revoke removed the partitions before that batch saw it, so they are gone here too.
            if shutdown.pastGrace { return (.abandoned, false) }
            let owned = ownership.stillOwned(messages)
            if owned.count != messages.count {
                // The plan covered messages that are no longer this worker's: plan again.
                prepared = nil
                messages = owned
            }
            guard !messages.isEmpty else { return (.abandoned, false) }
            var started = ContinuousClock.now
            let fromPrepared = prepared != nil
            do {
                let plan: CommandBatchProcessor.Plan
                let planned: ContinuousClock.Instant
                if let ready = prepared {
                    prepared = nil
                    (plan, started, planned) = ready
                } else {
                    plan = try await processor.plan(messages, now: Self.now())
                    planned = .now
                }
                var batch = plan.batch
                batch.offsets = ownership.stampingEpochs(batch.offsets)
                // Rows earlier batches delivered are deleted by this batch's transaction.
                batch.published = publisher.takeAcknowledged()
                let rows: [OutboxMessage]
                do {
                    rows = try await store.applyReturningOutbox(batch)
                } catch {
                    publisher.returnAcknowledged(batch.published)
                    // A connection lost during COMMIT may still have committed: then the retry
                    // finds the commands processed and publishes only duplicates, and the
                    // original rows wait in the outbox. The next publish takes every pending row
                    // in outbox order, so they go out before anything later for their contacts.
                    markRowsLeftPending()
                    throw error
                }
                health.setBackingOff(.batch, nil)
                let committed = CommittedBatch(
                    rows: rows,
                    offsets: Dictionary(plan.batch.offsets.map { (TopicPartition($0.topic, $0.partition), $0.nextOffset) }) {
                        max($0, $1)
                    },
                    summary: plan.summary, decisions: plan.decisions, messages: messages, started: started, planned: planned,
                    committed: .now)
                return (.committed(committed), fromPrepared)
            } catch {
                if case .fenced(_, let topic, let partitions)? = error as? StoreError {
                    // Another worker claimed these partitions: nothing of the batch was written,
                    // and their commands are the new owner's to decide. The next attempt keeps
                    // the messages of the partitions still owned and plans them again.
                    dropFenced(topic: topic, partitions: partitions, error: error)
                    prepared = nil
                    continue
                }
                let retriable = Self.isRetriable(error)
                if !retriable && !(error is CancellationError) {
                    // Not a passing outage: retrying the same batch would stall its partitions.
                    return (.unprocessable(messages: messages, error: error), false)
                }
                let delay = backoff.next()
                health.setBackingOff(.batch, "\(error)")
                observer.retrying(.batch, after: error)
                logger.log(
                    level: retriable ? .warning : .error,
                    "batch failed; retrying",
                    metadata: [
                        "error": "\(error)", "retriable": "\(retriable)", "delay": "\(delay)", "messages": "\(messages.count)",
                        // Where the batch starts, as separate fields like every other line.
                        "topic": "\(messages.first?.topic ?? "-")", "partition": "\(messages.first.map { "\($0.partition)" } ?? "-")",
                        "offset": "\(messages.first.map { "\($0.offset)" } ?? "-")",
                    ])
                // Past the shutdown grace nothing is retried (checked above): the next start
                // re-reads the batch.
                do { try await Task.sleep(for: delay) } catch { return (.abandoned, false) }
            }
        }
    }

    /// Gives up partitions another worker claimed while a batch was written (the store refused
    /// the batch): their messages are not taken again until a rebalance assigns them back.
    private func dropFenced(topic: String, partitions: [Int32], error: any Error) {
        let dropped = partitions.map { TopicPartition(topic, $0) }
        ownership.drop(dropped)
        observer.fenced(dropped)
        logger.warning(
            "another worker took over partitions while a batch was written; the batch was refused and is left to it",
            metadata: ["topic": "\(topic)", "partitions": "\(partitions)", "error": "\(error)"])
    }

    /// Records that rows were left pending behind a batch (see ``abandonedRowsPending``).
    private func markRowsLeftPending() {
        abandonedRowsPending.withLock { state in
            state.pending = true
            state.generation += 1
        }
    }

    /// Publishes a committed batch's rows, then stores its offsets for the next Kafka commit.
    ///
    /// Only publishing is retried here: the store already knows the batch's commands, so
    /// re-planning it would publish them as duplicates and strand the originals in the outbox.
    /// If a rebalance takes any of the batch's partitions meanwhile, the rows are left pending:
    /// the assignment that follows publishes them (a revoke must not wait on a broker outage).
    ///
    /// A batch after such an abandoned one publishes every pending row of the partitions this
    /// worker owns, in outbox order, instead of only its own: its rows must not reach Kafka before
    /// the earlier batch's rows for the same contacts (events per contact stay in order; what the
    /// next owner also publishes is a duplicate with the same id). Rows of partitions revoked
    /// meanwhile, this batch's included, are left to their next owner, which publishes them on
    /// assignment: the revoke waits for this batch, so they are written by then.
    private func publish(_ batch: CommittedBatch) async {
        let partitions = Set(batch.offsets.keys)
        let publishing = ContinuousClock.now
        do {
            try await retrying(.publish, "publishing a committed batch", giveUpWhen: { !self.ownership.ownsAll(partitions) }) {
                if let generation = self.abandonedRowsPending.withLock({ $0.pending ? $0.generation : nil }) {
                    // The rows left behind that are this worker's: those of the partitions it
                    // owns. A revoked partition's rows are its next owner's, published on assign.
                    _ = try await self.publisher.drain(sourcePartitions: self.ownership.owned(in: self.configuration.topics.commands))
                    self.abandonedRowsPending.withLock { if $0.generation == generation { $0.pending = false } }
                } else {
                    try await self.publisher.publish(batch.rows, deferMarking: true)
                }
            }
        } catch {
            // Cancelled or revoked: the rows stay pending and are published by the next owner or start.
            markRowsLeftPending()
            return
        }
        do {
            try consumer.storeOffsets(batch.offsets)
        } catch {
            // The database has the offsets; Kafka's copy only lags.
            logger.warning("could not store offsets for commit", metadata: ["error": "\(error)"])
        }
        let duration = ContinuousClock.now - batch.started
        observer.batchProcessed(batch.summary, messages: batch.messages, duration: duration)
        for decision in batch.decisions { decision.log(to: logger) }
        logger.debug(
            "batch processed",
            metadata: [
                "messages": "\(batch.messages.count)", "applied": "\(batch.summary.applied)",
                "duplicates": "\(batch.summary.duplicates)", "rejected": "\(batch.summary.rejected)",
                "dead_lettered": "\(batch.summary.deadLettered)", "duration": "\(duration)",
                "plan": "\(batch.planned - batch.started)", "store": "\(batch.committed - batch.planned)", "queued": "\(publishing - batch.committed)",
                "publish": "\(ContinuousClock.now - publishing)",
            ])
    }

    /// A batch failed for a reason retrying cannot fix: plan and write each of its messages again
    /// on its own, and dead-letter a message only when it failed on its own after that, so its
    /// partition moves on. A one-message batch is planned again too: the failure may be another
    /// writer's record of the same command (a unique violation), and planned again the command is
    /// a duplicate that gets its stored result.
    ///
    /// - Parameter alone: `messages` is one message that already failed when planned and written
    ///   on its own.
    private func isolateFailure(_ messages: [KafkaMessage], error: any Error, alone: Bool = false) async {
        guard alone, messages.count == 1, let message = messages.first else {
            for message in messages {
                switch await commit([message]).outcome {
                case .committed(let batch): await publish(batch)
                case .abandoned: continue
                case .unprocessable(let messages, let error): await isolateFailure(messages, error: error, alone: true)
                }
            }
            return
        }
        logger.error(
            "message cannot be processed; sending it to the dead-letter topic",
            metadata: [
                "error": "\(error)", "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
        var batch = StoreBatch()
        batch.outbox = [processor.deadLetter(message, reason: "processing failed: \(error)")]
        batch.offsets = [
            ConsumerOffset(
                group: configuration.group, topic: message.topic, partition: message.partition,
                nextOffset: message.offset + 1, firstOffset: message.offset)
        ]
        let deadLetterBatch = batch
        let started = ContinuousClock.now
        do {
            // Gives up when the partition is revoked (also on shutdown): the next owner re-reads
            // the message and dead-letters it then. Written once, then published (retrying both in
            // one step wrote the dead letter again on every failed publish).
            let revoked: @Sendable () -> Bool = { !self.ownership.ownsAll([message.topicPartition]) }
            let rows = try await retrying(.deadLetter, "dead-lettering an unprocessable message", giveUpWhen: revoked) {
                var batch = deadLetterBatch
                batch.offsets = self.ownership.stampingEpochs(batch.offsets)
                do {
                    return try await self.store.applyReturningOutbox(batch)
                } catch let error as StoreError {
                    // Claimed by another worker: dropping the partition makes the retry give up.
                    if case .fenced(_, let topic, let partitions) = error {
                        self.dropFenced(topic: topic, partitions: partitions, error: error)
                    }
                    throw error
                }
            }
            do {
                try await retrying(.deadLetter, "publishing a dead letter", giveUpWhen: revoked) {
                    try await self.publisher.publish(rows)
                }
            } catch {
                // Written: the next publish, start or owner sends it, in outbox order.
                markRowsLeftPending()
                throw error
            }
            try consumer.storeOffsets([message.topicPartition: message.offset + 1])
            var summary = BatchSummary()
            summary.deadLettered = 1
            observer.batchProcessed(summary, messages: messages, duration: ContinuousClock.now - started)
        } catch {
            logger.error("could not dead-letter the message", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Background duties

    /// Runs `duty` every `interval` until cancelled. A failure is logged at debug level and left
    /// to the next tick: both duties only catch up with state the database already holds.
    private func every(_ interval: Duration, _ what: String, _ duty: @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            do {
                try await duty()
            } catch {
                logger.debug("\(what) failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func watchFatalErrors() async throws {
        for await error in consumer.errors {
            if error.isFatal {
                logger.critical("fatal Kafka error; stopping", metadata: ["error": "\(error)"])
                throw WorkerError.fatalKafkaError(error.description)
            }
            if error.code == .allBrokersDown {
                health.setBrokerUnavailable("\(error)")
            }
            logger.warning("Kafka reported an error", metadata: ["error": "\(error)"])
        }
    }

    /// After librdkafka reported every broker down, asks for the commands topic's metadata once a
    /// second until a broker answers, and then clears the readiness problem (librdkafka reports
    /// losing brokers, not getting them back).
    private func watchBrokersComingBack() async {
        await every(.seconds(1), "probing the brokers") {
            guard self.health.brokerUnavailable else { return }
            _ = try await self.consumer.partitions(of: self.configuration.topics.commands, timeout: .seconds(2))
            self.health.setBrokerUnavailable(nil)
            self.logger.info("Kafka brokers reachable again")
        }
    }

    /// Runs `body` until it succeeds, with backoff; throws only `CancellationError` (cancelled,
    /// or `giveUpWhen` became true after a failure).
    private func retrying<T: Sendable>(
        _ operation: RetriedOperation, _ what: String, giveUpWhen giveUp: @Sendable () -> Bool = { false }, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        var backoff = Backoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff)
        // Succeeded or given up: either way this operation no longer holds readiness back.
        defer { health.setBackingOff(operation, nil) }
        while true {
            // Past the shutdown grace a new attempt would only wait for the broker again.
            if shutdown.pastGrace { throw CancellationError() }
            do {
                return try await body()
            } catch {
                if error is CancellationError { throw error }
                if let error = error as? KafkaError, error.isFatal {
                    fatalReasons.continuation.yield("\(what): \(error)")
                    throw error
                }
                if shutdown.pastGrace {
                    logger.notice("\(what) failed after the shutdown grace; leaving it to the next start", metadata: ["error": "\(error)"])
                    throw CancellationError()
                }
                if giveUp() {
                    logger.notice("\(what) failed and its partitions were revoked; leaving it to the next owner", metadata: ["error": "\(error)"])
                    throw CancellationError()
                }
                let delay = backoff.next()
                health.setBackingOff(operation, "\(what): \(error)")
                observer.retrying(operation, after: error)
                logger.warning("\(what) failed; retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Migrates the store (``Configuration/migrateStore``), or else checks that its schema is
    /// exactly this build's, waiting with capped backoff while the database is unreachable
    /// (PostgreSQL still starting next to the worker). Without the check, a forgotten
    /// `contact-worker migrate` (or a rollback past a migration) would show only as failures in
    /// the middle of the run. Any other store error (a schema newer than this build, a failed
    /// migration) stops the worker.
    ///
    /// - Returns: false when a shutdown was asked for first: the worker then stops cleanly
    ///   without having started.
    private func prepareStoreWhenReachable() async throws -> Bool {
        let what = configuration.migrateStore ? "migrating the database" : "checking the database's schema"
        var backoff = Backoff(initial: .milliseconds(200), maximum: configuration.maximumBackoff)
        while true {
            do {
                if configuration.migrateStore {
                    try await store.migrate()
                } else {
                    if let current = try await ContactStoreSchema.mismatchedVersion(of: store) {
                        throw WorkerError.schemaMismatch(database: current, build: ContactStoreSchema.latestVersion)
                    }
                }
                health.setBackingOff(.migrate, nil)
                return true
            } catch let error as StoreError where error.isRetriable {
                if shutdown.requested {
                    logger.notice("stopped before the database was reachable")
                    return false
                }
                let delay = backoff.next()
                health.setBackingOff(.migrate, "\(what): \(error)")
                observer.retrying(.migrate, after: error)
                logger.warning(
                    configuration.migrateStore
                        ? "database unavailable; migrating when it is reachable"
                        : "database unavailable; checking the schema version when it is reachable",
                    metadata: ["error": "\(error)", "delay": "\(delay)"])
                // Waits in short steps, so a SIGTERM meanwhile stops the worker at once.
                let wakeUp = ContinuousClock.now + delay
                while ContinuousClock.now < wakeUp && !shutdown.requested {
                    do { try await Task.sleep(for: .milliseconds(100)) } catch { return false }
                }
                if shutdown.requested {
                    logger.notice("stopped before the database was reachable")
                    return false
                }
            }
        }
    }

    static func isRetriable(_ error: any Error) -> Bool {
        if let error = error as? StoreError { return error.isRetriable }
        if let error = error as? KafkaError { return error.isRetriable }
        return false
    }

    /// The wall clock as a ``Timestamp``: used only for token expiry and `processed_at`.
    static func now() -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}

/// Why the worker stopped on its own.
public enum WorkerError: Error, CustomStringConvertible {
    case fatalKafkaError(String)
    /// The database's schema is not this build's and the worker was told not to migrate it.
    case schemaMismatch(database: Int, build: Int)

    public var description: String {
        switch self {
        case .fatalKafkaError(let text): "fatal Kafka error, the worker cannot continue: \(text)"
        case .schemaMismatch(let database, let build) where database < build:
            "the database's schema is at version \(database), this build's at \(build), and DATABASE_MIGRATE is false: "
                + "run `contact-worker migrate` first (or start with DATABASE_MIGRATE=true)"
        case .schemaMismatch(let database, let build):
            "the database's schema is at version \(database), newer than this build's \(build): a newer build migrated it; "
                + "run a build at least that new"
        }
    }
}
