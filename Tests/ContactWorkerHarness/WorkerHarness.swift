import ContactDomain
import ContactStore
@testable import ContactWorker
import ContactWorkerTestSupport
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Testing

/// The test's own set-up failed (not the code under test).
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

public var testLogger: Logger {
    var logger = Logger(label: "contact-worker.test")
    logger.logLevel =
        TestEnvironment.value("CONTACT_WORKER_TEST_LOG").flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}

/// Runs `body` with a fresh ``WorkerHarness`` (see ``WorkerHarness/make(_:commandPartitions:outputPartitions:absentTopics:postgresServer:postgresOptions:)``)
/// and closes it when `body` returns or throws, before the test ends, so no cleanup outlives its test.
public func withHarness(
    _ backend: Backend, commandPartitions: Int = 3, outputPartitions: Int = 1,
    absentTopics: Set<WorkerTopics.Role> = [],
    postgresServer: String? = TestEnvironment.postgresURL, postgresOptions: String = TestEnvironment.postgresOptions,
    _ body: (WorkerHarness) async throws -> Void
) async throws {
    guard
        let harness = try await WorkerHarness.make(
            backend, commandPartitions: commandPartitions, outputPartitions: outputPartitions,
            absentTopics: absentTopics, postgresServer: postgresServer, postgresOptions: postgresOptions)
    else { return }
    try await closing(harness, by: { await $0.close() }, body)
}

/// One test's world: a mock cluster with the four topics, a fresh store, and the token keys.
public final class WorkerHarness: Sendable {
    public static let secret = "contact-worker-tests-secret-0123456789abcdef"

    public let cluster: MockCluster
    public let topics: WorkerTopics
    public let databaseURL: String
    public let store: any ContactStore
    public let verifier: TokenVerifier
    public let signer: TokenSigner
    public let commandPartitions: Int
    /// The SQLite backend's temporary directory, removed by `close()`; nil on PostgreSQL.
    public let directory: URL?

    /// Creates the world, or returns nil when PostgreSQL is skipped on purpose.
    ///
    /// - Parameters:
    ///   - absentTopics: the roles whose topics are not created (a test creates them later, or never).
    ///   - postgresServer: the server of the PostgreSQL backend (default: the shared test server).
    ///   - postgresOptions: `DATABASE_URL` options added to the unique schema.
    public static func make(
        _ backend: Backend, commandPartitions: Int = 3, outputPartitions: Int = 1,
        absentTopics: Set<WorkerTopics.Role> = [],
        postgresServer: String? = TestEnvironment.postgresURL, postgresOptions: String = TestEnvironment.postgresOptions
    ) async throws -> WorkerHarness? {
        var directory: URL?
        let url: String
        switch backend {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "contact-worker-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            directory = dir
            url = "sqlite:" + dir.appendingPathComponent("contacts.sqlite").path
        case .postgres:
            guard let base = postgresServer else {
                try Test.cancel(Comment(rawValue: TestEnvironment.missingPostgres))
            }
            url = TestEnvironment.freshSchemaURL(on: base, prefix: "w_", options: postgresOptions)
        }
        let store = try await makeContactStore(url: url, logger: testLogger)
        try await store.migrate()
        let cluster = try MockCluster(logger: testLogger)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let topics = WorkerTopics(
            commands: "commands-\(suffix)", events: "events-\(suffix)", results: "results-\(suffix)",
            deadLetters: "dlq-\(suffix)")
        for role in WorkerTopics.Role.allCases where !absentTopics.contains(role) {
            try cluster.createTopic(topics[role], partitions: role == .commands ? commandPartitions : outputPartitions)
        }
        let verifier = try await TokenVerifier(configuration: .init(key: .hs256(secret: secret)))
        let signer = try await TokenSigner(hs256Secret: secret)
        return WorkerHarness(
            cluster: cluster, topics: topics, databaseURL: url, store: store, verifier: verifier, signer: signer,
            commandPartitions: commandPartitions, directory: directory)
    }

    private init(
        cluster: MockCluster, topics: WorkerTopics, databaseURL: String, store: any ContactStore,
        verifier: TokenVerifier,
        signer: TokenSigner, commandPartitions: Int, directory: URL?
    ) {
        self.cluster = cluster
        self.topics = topics
        self.databaseURL = databaseURL
        self.store = store
        self.verifier = verifier
        self.signer = signer
        self.commandPartitions = commandPartitions
        self.directory = directory
    }

    public func close() async {
        await store.close()
        cluster.close()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: - Tokens

    public func token(
        sub: String = "u-1", name: String? = "Ada Owner", business: String = "biz-1", role: String = "owner",
        expiresIn seconds: Double = 3600
    ) async throws -> String {
        let claims = TokenClaims(
            sub: sub, exp: Date().timeIntervalSince1970 + seconds, name: name, businessID: business, role: role)
        return try await signer.sign(claims)
    }

    // MARK: - Running a worker

    /// A consumer configuration for a member of `group` on this cluster, as the tests' workers use:
    /// range assignment, a 6 s session and quick metadata refreshes.
    public func groupMemberConfiguration(group: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group)
        configuration.assignmentStrategy = "range"
        configuration.set("session.timeout.ms", "6000")
        configuration.set("heartbeat.interval.ms", "500")
        configuration.set("topic.metadata.refresh.interval.ms", "1000")
        return configuration
    }

    /// Starts a worker in a `ServiceGroup` in this process; stop it with ``RunningWorker/stop()``.
    /// `store` replaces the harness's own (a test double around it), `maxBatchSize` the consumer's default;
    /// `beforeSending` runs before every publish and fails it by throwing (``OutboxPublisher/beforeSending``);
    /// `planAheadMinimum` replaces the pipeline's default (``ContactWorkerService/Configuration/planAheadMinimum``);
    /// `producerProperties` are set on the worker's producer; `verifier` replaces the harness's
    /// (one with a JWKS, say).
    public func startWorker(
        group: String = "worker-\(UUID().uuidString.prefix(8).lowercased())", store: (any ContactStore)? = nil,
        verifier: TokenVerifier? = nil,
        maxBatchSize: Int? = nil, planAheadMinimum: Int? = nil, observer: any WorkerObserver = NoWorkerObserver(),
        logger: Logger = testLogger, producerProperties: [String: String] = [:],
        beforeSending: (@Sendable ([OutboxMessage]) async throws -> Void)? = nil
    ) throws -> RunningWorker {
        var consumer = groupMemberConfiguration(group: group)
        if let maxBatchSize { consumer.maxBatchSize = maxBatchSize }
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        for (key, value) in producerProperties { producerConfiguration.set(key, value) }
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: testLogger)
        var configuration = ContactWorkerService.Configuration(
            topics: topics, group: group, initialBackoff: .milliseconds(50), maximumBackoff: .seconds(1))
        if let planAheadMinimum { configuration.planAheadMinimum = planAheadMinimum }
        let worker = try ContactWorkerService(
            configuration: configuration,
            consumerConfiguration: consumer, producer: producer, store: store ?? self.store,
            verifier: verifier ?? self.verifier, observer: observer, health: WorkerHealth(), logger: logger,
            beforeSending: beforeSending)
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [.init(service: worker)], logger: testLogger))
        let task = Task { try await serviceGroup.run() }
        return RunningWorker(group: serviceGroup, task: task, health: worker.health, groupID: group)
    }

    // MARK: - Sending

    /// Sends `messages` in order with one producer (order per partition is kept).
    public func send(_ messages: [KafkaOutgoingMessage]) async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.set("message.max.bytes", "10000000")
        configuration.set("enable.idempotence", "true")
        // A produce error a test injects for the worker goes to the next Produce request of any
        // client, so this producer's request may run into it instead. The records it refused were
        // not written: they are sent again, a few times at most, each time by a new producer (one
        // that was refused a topic keeps refusing it locally) and in key order, so a contact's
        // later command is not written before an earlier one that failed. The first attempt sends
        // in exactly the given order, which tests that mix keys on one partition rely on.
        var pending = messages
        var failure = ""
        for attempt in 1...3 where !pending.isEmpty {
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
            let reports: [KafkaDeliveryReport]
            do {
                reports =
                    attempt == 1
                    ? try await producer.send(batch: pending) : try await producer.send(keyOrdered: pending)
            } catch {
                await producer.shutdown()
                throw error
            }
            await producer.shutdown()
            let failed = zip(pending, reports).filter { $0.1.error != nil }
            if let error = failed.first?.1.error {
                failure = "\(failed.count) of \(messages.count) test commands were not delivered: \(error)"
            }
            pending = failed.map(\.0)
        }
        if !pending.isEmpty { throw HarnessError(description: failure) }
    }

    public func message(_ command: TestCommand) -> KafkaOutgoingMessage {
        var headers: [KafkaHeader] = []
        if let token = command.token { headers.append(KafkaHeader(name: "authorization", string: "Bearer \(token)")) }
        if let correlation = command.correlationID {
            headers.append(KafkaHeader(name: "correlation-id", string: correlation))
        }
        return KafkaOutgoingMessage(
            topic: topics.commands, partition: command.partition ?? partition(for: command.contactID),
            key: Array(command.contactID.utf8), value: Array(command.json.utf8), headers: headers)
    }

    /// Explicit partitioning by key, so tests know which messages share a partition.
    public func partition(for key: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int32(hash % UInt32(commandPartitions))
    }

    // MARK: - Reading

    /// Reads `topic` from the beginning of every partition until at least `count` messages
    /// arrived (more when they came in the same batch). It does not wait for extra messages: a
    /// test that needs an exact count checks ``messageCount(_:)`` once the worker is stopped.
    public func read(_ topic: String, count: Int, seconds: Double = 60) async throws -> [KafkaMessage] {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: nil)
        configuration.set("topic.metadata.refresh.interval.ms", "1000")
        let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger)
        return try await closing(consumer, by: { await $0.close() }) { consumer in
            let partitions = try await consumer.partitions(of: topic)
            try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
            return try await within(seconds, "\(count) messages on \(topic)") {
                var messages: [KafkaMessage] = []
                if count == 0 { return messages }
                for await batch in consumer.batches {
                    messages += batch
                    if messages.count >= count { break }
                }
                return messages
            }
        }
    }

    /// The high watermarks of `topic` summed over partitions: how many messages it holds.
    public func messageCount(_ topic: String) async throws -> Int64 {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: nil)
        configuration.set("topic.metadata.refresh.interval.ms", "1000")
        let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger)
        var total: Int64 = 0
        for partition in try await consumer.partitions(of: topic) {
            let marks = try await consumer.watermarks(topic: topic, partition: partition.partition)
            total += marks.high - marks.low
        }
        await consumer.close()
        return total
    }

    /// Polls until `topic` holds at least `count` messages (60 s at most).
    public func waitForCount(_ topic: String, atLeast count: Int64, seconds: Double = 60) async throws {
        _ = try await within(seconds, "\(count) messages on \(topic)") {
            while try await self.messageCount(topic) < count {
                try await Task.sleep(for: .milliseconds(100))
            }
            return true
        }
    }
}
