import Foundation
import Kafka
import Logging
import Synchronization

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
        _ cluster: MockCluster, group: String?, strategy: String = "cooperative-sticky",
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

    struct TimedOut: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting for \(what)" }
    }

    /// Runs `body`, failing with ``TimedOut`` after `seconds`.
    static func within<T: Sendable>(
        _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        // Not a task group: a group waits for its children, so a body that ignores cancellation
        // (awaiting another task's value, say) would hang the test instead of failing it. The body
        // runs in a task of its own, cancelled and left behind on timeout. ContactWorkerTests has a
        // twin of this function: test modules cannot share code.
        let outcome = Locked<CheckedContinuation<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            outcome.withLock { $0 = continuation }
            @Sendable func finish(_ result: Result<T, any Error>) -> Bool {
                guard
                    let continuation = outcome.withLock({ state -> CheckedContinuation<T, any Error>? in
                        defer { state = nil }
                        return state
                    })
                else { return false }
                continuation.resume(with: result)
                return true
            }
            let work = Task {
                do { _ = finish(.success(try await body())) } catch { _ = finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                if finish(.failure(TimedOut(what: what))) { work.cancel() }
            }
        }
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

    /// Polls `condition` every 50 ms until it holds (or times out).
    static func eventually(
        _ seconds: Double = 15, _ what: String, _ condition: @escaping @Sendable () async -> Bool
    ) async throws {
        _ = try await within(seconds, what) {
            while !(await condition()) {
                try await Task.sleep(for: .milliseconds(50))
            }
            return true
        }
    }
}

/// A thread-safe box for values tests share with hooks and reader tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
