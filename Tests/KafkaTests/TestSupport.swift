import ContactWorkerTestSupport
import Foundation
import Kafka
import Logging

/// Helpers shared by the Kafka integration tests (all against a real MockCluster over TCP).
enum TestSupport {
    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static var logger: Logger {
        var logger = Logger(label: "kafka.test")
        logger.logLevel =
            ProcessInfo.processInfo.environment["CONTACT_WORKER_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
            ?? .warning
        return logger
    }

    static func producer(
        _ cluster: MockCluster, configure: (inout KafkaProducerConfiguration) -> Void = { _ in }
    ) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configure(&configuration)
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    static func consumer(
        _ cluster: MockCluster, group: String?, strategy: String = "range",
        listener: (any KafkaRebalanceListener)? = nil,
        configure: (inout KafkaConsumerConfiguration) -> Void = { _ in }
    ) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group)
        configuration.assignmentStrategy = strategy
        configuration.set("session.timeout.ms", "6000")
        configuration.set("heartbeat.interval.ms", "500")
        configuration.set("topic.metadata.refresh.interval.ms", "1000")
        configure(&configuration)
        return try KafkaConsumer(configuration: configuration, rebalanceListener: listener, logger: logger)
    }

    /// Produces `count` keyed messages spread over `partitions` partitions (explicitly).
    @discardableResult
    static func produce(
        _ cluster: MockCluster, topic: String, count: Int, partitions: Int32
    ) async throws -> [KafkaDeliveryReport] {
        try await produce(cluster, topic: topic, count: count, onto: Array(0..<partitions))
    }

    /// Produces `count` keyed messages round-robin onto exactly these partitions.
    @discardableResult
    static func produce(
        _ cluster: MockCluster, topic: String, count: Int, onto partitions: [Int32]
    ) async throws -> [KafkaDeliveryReport] {
        let producer = try producer(cluster)
        let messages = (0..<count).map { index in
            KafkaOutgoingMessage(
                topic: topic, partition: partitions[index % partitions.count], key: "key-\(index)",
                value: "value-\(index)")
        }
        let reports = try await producer.send(batch: messages)
        await producer.shutdown()
        return reports
    }

    /// Reads batches until `count` messages arrived (or times out).
    static func collect(_ consumer: KafkaConsumer, count: Int, seconds: Double = 15) async throws -> [KafkaMessage] {
        try await within(seconds, "\(count) messages") {
            var messages: [KafkaMessage] = []
            for await batch in consumer.batches {
                messages += batch
                if messages.count >= count { break }
            }
            return messages
        }
    }
}
