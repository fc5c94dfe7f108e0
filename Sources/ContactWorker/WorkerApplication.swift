import ContactDomain
import ContactStore
import Kafka
import Logging
import ServiceLifecycle
import UnixSignals

/// Wires the worker together from ``WorkerSettings`` and runs it until SIGTERM/SIGINT (SIGHUP
/// re-reads `JWT_JWKS_FILE`, ``TokenKeyReloader``).
///
/// Shared by `contact-worker run` and `contact-worker dev`, so the demo runs exactly the
/// production path.
public struct WorkerApplication: Sendable {
    public var settings: WorkerSettings
    public var logger: Logger

    /// The worker's default `queued.max.messages.kbytes`: how much librdkafka prefetches.
    static let prefetchKilobytes = 8_192
    /// The worker's default `queued.min.messages`: ten default batches.
    static let prefetchMessages = 10_000
    /// The worker's default `fetch.max.bytes`, unless `message.max.bytes` is larger.
    static let fetchBytes = 1_048_576

    /// The pipeline's configuration. A full batch is always planned ahead, however small
    /// `BATCH_MAX_COMMANDS` makes the batches (docs/decisions/0008-plan-ahead.md).
    static func serviceConfiguration(settings: WorkerSettings) -> ContactWorkerService.Configuration {
        ContactWorkerService.Configuration(
            topics: settings.topics, group: settings.groupID,
            planAheadMinimum: min(
                ContactWorkerService.Configuration.defaultPlanAheadMinimum, settings.batchMaxCommands),
            migrateStore: settings.migrateOnStart)
    }

    /// The consumer's configuration: `kafka` (the user's properties over the brokers) with the
    /// worker's defaults for what the user left unset.
    static func consumerConfiguration(
        _ kafka: KafkaConfiguration, settings: WorkerSettings
    ) -> KafkaConsumerConfiguration {
        var consumerConfiguration = KafkaConsumerConfiguration(kafka, groupID: settings.groupID)
        if settings.kafkaProperties["partition.assignment.strategy"] == nil {
            // librdkafka 2.0.2's cooperative-sticky assignor can abort the process when a consumer
            // closes before its first assignment (LRK-1, upstream #4312, fixed in 2.3.0): a worker
            // stopped right after start would not exit cleanly. Eager `range` rebalances are
            // safe and, with drain-before-release, just as correct.
            consumerConfiguration.assignmentStrategy = "range"
        }
        consumerConfiguration.bufferCapacity = settings.consumerBufferMessages
        consumerConfiguration.bufferCapacityBytes = settings.consumerBufferBytes
        consumerConfiguration.maxBatchSize = settings.batchMaxCommands
        if settings.kafkaProperties["queued.max.messages.kbytes"] == nil {
            // librdkafka prefetches up to 64 MiB of commands by default: on a backlog, most of
            // the worker's memory. A batch is at most `BATCH_MAX_COMMANDS` commands (1,000), and
            // a few MiB keep it fed from a broker nearby (docs/decisions/0012-memory-bounds.md).
            consumerConfiguration.set("queued.max.messages.kbytes", String(Self.prefetchKilobytes))
        }
        if settings.kafkaProperties["queued.min.messages"] == nil {
            consumerConfiguration.set("queued.min.messages", String(Self.prefetchMessages))
        }
        if let fetchBytes = Self.fetchMaxBytes(properties: settings.kafkaProperties) {
            consumerConfiguration.set("fetch.max.bytes", String(fetchBytes))
        }
        return consumerConfiguration
    }

    /// The `fetch.max.bytes` the worker sets, or nil when `properties` set it. librdkafka reads
    /// each fetch response into one buffer and keeps it until the last of its messages has been
    /// consumed, so the fetch size is the step in which the prefetch's memory is held and freed:
    /// small steps keep less of it at once (decision 0012). librdkafka refuses a value below
    /// `message.max.bytes` (1,000,000 by default), so a larger one raises it.
    static func fetchMaxBytes(properties: [String: String]) -> Int? {
        guard properties["fetch.max.bytes"] == nil else { return nil }
        return max(fetchBytes, properties["message.max.bytes"].flatMap { Int($0) } ?? 0)
    }

    public init(settings: WorkerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Opens the store, starts the producer, the worker (which first migrates the store, by
    /// default), the HTTP server on `HTTP_PORT` and the consumer-lag sampler, and runs them in a
    /// `ServiceGroup` that turns SIGTERM/SIGINT into a graceful shutdown. The HTTP side answers
    /// from the start: liveness while the worker still waits for its database, readiness once it
    /// has joined.
    ///
    /// - Parameters:
    ///   - observer: sees every batch besides the metrics (`dev` prints them).
    ///   - onHTTPServerRunning: called with the HTTP port once the server accepts connections.
    ///   - shutdownWhen: when given, the worker shuts down gracefully, as on SIGTERM, once it
    ///     returns (it must also return when its task is cancelled): for callers that embed the
    ///     worker (the end-to-end benchmark). Cancelling the task instead stops every service at
    ///     once, and the HTTP server logs that as errors.
    public func run(
        observer: any WorkerObserver = NoWorkerObserver(),
        onHTTPServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
        shutdownWhen: (@Sendable () async -> Void)? = nil
    ) async throws {
        // SIGHUP is trapped before anything else, whatever the key source: its default action
        // ends the process, and `systemctl reload` sends it to a worker that may still be starting
        // or whose keys are read at start only (``HangupNotice``).
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        // The keys come next: an unusable key set stops the worker before it opens its database.
        let (keys, jwksBytes) = try await settings.tokenKeys.loadKeySet()
        let verifier = try settings.makeTokenVerifier(keys: keys)
        let metrics = WorkerMetrics()
        var reloader: TokenKeyReloader?
        if case .jwksFile(let file) = settings.tokenKeys, let jwksBytes {
            reloader = TokenKeyReloader(
                file: file, keyRing: verifier.keyRing, initial: .bytes(jwksBytes),
                configuration: .init(pollInterval: settings.jwksPollInterval), signals: hangups, metrics: metrics,
                logger: logger)
        } else {
            metrics.tokenKeysLoaded(keys.keys.count)
        }
        logger.info(
            "verifying tokens", metadata: ["source": "\(settings.tokenKeys.description)", "keys": "\(keys.summary)"])
        for reason in keys.ignored {
            logger.warning("JWKS key ignored", metadata: ["reason": "\(reason)"])
        }
        let store = try await makeContactStore(url: settings.databaseURL, logger: logger)
        do {
            var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
            for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
            var producerConfiguration = KafkaProducerConfiguration(kafka)
            // Each default below yields to the property or its librdkafka alias, whichever is set
            // (librdkafka applies properties in name order, so a default under the other name
            // would silently override the user's).
            func isSet(_ names: String...) -> Bool { names.contains { settings.kafkaProperties[$0] != nil } }
            if !isSet("linger.ms", "queue.buffering.max.ms") {
                // The worker hands a whole batch's rows to the producer at once and waits for
                // them, so lingering only delays the batch
                // (docs/decisions/0011-mock-cluster-client-settings.md).
                producerConfiguration.set("linger.ms", "1")
            }
            if !isSet("message.timeout.ms", "delivery.timeout.ms") {
                // A delivery still unacknowledged after 30 s fails and the worker publishes the
                // rows again (same bytes, same ids). librdkafka's 300 s default would hold a
                // revoke, which waits for the batches in flight, past the group's patience.
                producerConfiguration.set("message.timeout.ms", "30000")
            }
            if !isSet("allow.auto.create.topics") {
                // The worker checks its topics at start and waits for all four (``TopicWatch``);
                // a publish must not re-create one deleted later with the broker's defaults.
                producerConfiguration.set("allow.auto.create.topics", "false")
            }
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            let consumerConfiguration = Self.consumerConfiguration(kafka, settings: settings)
            let health = WorkerHealth()
            let worker = try ContactWorkerService(
                configuration: Self.serviceConfiguration(settings: settings),
                consumerConfiguration: consumerConfiguration, producer: producer, store: store,
                verifier: verifier, observer: CombinedWorkerObserver([metrics, observer]), health: health,
                logger: logger)
            let http = WorkerHTTPServer(
                configuration: .init(port: settings.httpPort), store: store, verifier: verifier, health: health,
                metrics: metrics, logger: logger, onServerRunning: onHTTPServerRunning)
            let lag = ConsumerLagMonitor(
                configuration: .init(topic: settings.topics.commands, group: settings.groupID), producer: producer,
                metrics: metrics, store: store, assignment: { worker.assignedPartitions }, logger: logger)
            // Graceful shutdown runs in reverse order: the lag sampler stops first (it asks through
            // the producer, which the worker shuts down as it finishes), then the worker drains
            // while the HTTP side still answers (readiness: "shutting down"), then the server stops.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: http), .init(service: worker), .init(service: lag),
            ]
            if let reloader {
                // Started first, so it stops last: keys keep reloading while the worker drains.
                services.insert(.init(service: reloader), at: 0)
            } else {
                services.insert(
                    .init(
                        service: HangupNotice(
                            signals: hangups, source: settings.tokenKeys.description, logger: logger)), at: 0)
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: services,
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            if let shutdownWhen {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        await shutdownWhen()
                        await group.triggerGracefulShutdown()
                    }
                    // Returns once the graceful shutdown is done, or when the group fails: then
                    // the trigger is no longer wanted.
                    try await group.run()
                    tasks.cancelAll()
                }
            } else {
                try await group.run()
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
