import ContactDomain
import ContactStore
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// The worker: consume → authenticate → apply → persist → publish → commit.
///
/// Each batch of consumed commands becomes one store transaction (state, idempotency records,
/// outbox rows and the partitions' next offsets together), then its outbox rows are published with
/// the idempotent producer, then the offsets are stored for the next Kafka commit; the next
/// batch's transaction marks the delivered rows published (``BatchPipeline``). The database, not
/// Kafka, is the source of truth for where a partition resumes: on assignment the worker starts
/// each partition from the offset stored with the last batch (``RebalanceHooks``).
///
/// This type is the lifecycle: it opens the store (``StartupGate``), waits until its four topics
/// exist (``TopicWatch``), runs the pipeline and the background duties in one task group, and
/// stops them.
///
/// Transient failures (database or broker unavailable) are retried with capped exponential
/// backoff on the same batch; the consumer's bounded buffer pauses fetching meanwhile, so nothing
/// is skipped or reordered, and readiness reports not-ready. On graceful shutdown the worker stops
/// taking batches, finishes those in flight (publishing gets ``Configuration/shutdownPublishGrace``),
/// leaves the group (committing offsets) and flushes the producer.
public final class ContactWorkerService: Service, Sendable {
    public let health: WorkerHealth

    /// The partitions the worker's consumer holds now (for the consumer-lag metric).
    public var assignedPartitions: [TopicPartition] { consumer.assignment() }
    let configuration: Configuration
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    private let publisher: OutboxPublisher
    private let pipeline: BatchPipeline
    private let startup: StartupGate
    private let topicWatch: TopicWatch
    private let observer: any WorkerObserver
    let logger: Logger
    /// The graceful shutdown's progress (shared with the pipeline and the rebalance hooks).
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
        clock: WorkerClock = .system,
        logger: Logger = Logger(label: "contact-worker")
    ) throws {
        try self.init(
            configuration: configuration, consumerConfiguration: consumerConfiguration, producer: producer,
            store: store,
            verifier: verifier, observer: observer, health: health, clock: clock, logger: logger, beforeSending: nil)
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
        clock: WorkerClock = .system,
        logger: Logger,
        beforeSending: (@Sendable ([OutboxMessage]) async throws -> Void)?
    ) throws {
        var consumerConfiguration = consumerConfiguration
        consumerConfiguration.groupID = configuration.group
        let ownership = PartitionOwnership()
        let publisher = OutboxPublisher(store: store, producer: producer, logger: logger, beforeSending: beforeSending)
        let shutdown = ShutdownProgress()
        let retrier = Retrier(
            backoff: Backoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff),
            health: health, observer: observer, logger: logger)
        let listener = RebalanceHooks(
            store: store, publisher: publisher, ownership: ownership, shutdown: shutdown, group: configuration.group,
            topic: configuration.topics.commands, retrier: retrier, logger: logger)
        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration, rebalanceListener: listener, logger: logger)
        let fatalReasons = self.fatalReasons.continuation
        self.consumer = consumer
        self.configuration = configuration
        self.producer = producer
        self.shutdown = shutdown
        self.publisher = publisher
        self.observer = observer
        self.health = health
        self.logger = logger
        self.pipeline = BatchPipeline(
            configuration: configuration, consumer: consumer, store: store,
            processor: CommandBatchProcessor(
                context: .init(
                    store: store, verifier: verifier, topics: configuration.topics, group: configuration.group,
                    eventSource: configuration.eventSource, logger: logger)),
            publisher: publisher, ownership: ownership, shutdown: shutdown, retrier: retrier, clock: clock,
            observer: observer,
            logger: logger, fatal: { fatalReasons.yield($0) })
        var startupRetrier = retrier
        startupRetrier.backoff = Backoff(initial: .milliseconds(200), maximum: configuration.maximumBackoff)
        self.startup = StartupGate(
            store: store, migrate: configuration.migrateStore, shutdown: shutdown, retrier: startupRetrier,
            logger: logger)
        self.topicWatch = TopicWatch(
            topics: configuration.topics, interval: configuration.topicCheckInterval, consumer: consumer,
            bootstrapServers: consumerConfiguration.kafka.bootstrapServers, health: health, observer: observer,
            shutdown: shutdown, logger: logger)
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
        guard try await startup.open() else { return }
        // Nothing is published or consumed before all four topics exist: a mistyped name keeps
        // the worker not ready, naming the topic, instead of idle (commands) or failing every
        // batch (an output topic).
        guard await topicWatch.waitUntilPresent() else {
            logger.notice("stopped before the topics existed")
            return
        }
        // Rows a previous run committed but did not publish go out with their partitions: whoever
        // is assigned a partition publishes its rows first (RebalanceHooks). Rows written before
        // source partitions were stored belong to no partition and go out here, before new work.
        let republished: Int
        do {
            republished = try await pipeline.retrying(.publish, "publishing pending outbox rows") {
                try await self.publisher.drain(sourcePartitions: [])
            }
        } catch is CancellationError where shutdown.requested {
            logger.notice(
                "stopped before the rows left by a previous build were published; the next start publishes them")
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
            group.addTask {
                await self.every(self.configuration.topicCheckInterval, "checking the topics") {
                    await self.topicWatch.check(atStart: false)
                }
            }
            // A failed Kafka commit only means a new owner without access to the database's
            // offsets would re-read (and deduplicate) a little more.
            group.addTask {
                await self.every(self.configuration.commitInterval, "offset commit") {
                    try await self.consumer.commit()
                }
            }
            // Delivered rows no batch picked up (traffic paused): marked so the outbox backlog
            // drains and a restart does not re-publish them.
            group.addTask {
                await self.every(self.configuration.markPublishedInterval, "marking delivered rows published") {
                    try await self.publisher.flushAcknowledged()
                }
            }
            group.addTask { await self.pipeline.consumeLoop() }
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
}
