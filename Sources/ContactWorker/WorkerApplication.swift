import ContactDomain
import ContactStore
import Kafka
import Logging
import ServiceLifecycle
import UnixSignals

/// Wires the worker together from ``WorkerSettings`` and runs it until SIGTERM/SIGINT.
///
/// Shared by `contact-worker run` and `contact-worker dev`, so the demo runs exactly the
/// production path.
public struct WorkerApplication: Sendable {
    public var settings: WorkerSettings
    public var logger: Logger

    public init(settings: WorkerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Opens (and by default migrates) the store, starts the producer and the worker, and runs
    /// them in a `ServiceGroup` that turns SIGTERM/SIGINT into a graceful shutdown.
    public func run(observer: any WorkerObserver = NoWorkerObserver()) async throws {
        let store = try await makeContactStore(url: settings.databaseURL, logger: logger)
        if settings.migrateOnStart {
            try await store.migrate()
        }
        do {
            let verifier = try await TokenVerifier(
                configuration: .init(key: settings.tokenKey, issuer: settings.jwtIssuer, audience: settings.jwtAudience))
            var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
            for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka), logger: logger)
            var consumerConfiguration = KafkaConsumerConfiguration(kafka, groupID: settings.groupID)
            if settings.kafkaProperties["partition.assignment.strategy"] == nil {
                // librdkafka 2.0.2's cooperative-sticky assignor can abort the process when a consumer
                // closes before its first assignment (upstream #4312, fixed in 2.3.0): a worker
                // stopped right after start would not exit cleanly. Eager `range` rebalances are
                // safe and, with drain-before-release, just as correct.
                consumerConfiguration.assignmentStrategy = "range"
            }
            let worker = try ContactWorkerService(
                configuration: .init(topics: settings.topics, group: settings.groupID),
                consumerConfiguration: consumerConfiguration, producer: producer, store: store,
                verifier: verifier, observer: observer, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
