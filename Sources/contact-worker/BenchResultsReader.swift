import ArgumentParser
import Foundation
import Kafka
import Synchronization

/// Reads the results topic from `start` on (the beginning, or the end for a latency run of its
/// own) and keeps what the benchmark reports.
final class BenchResultsReader: Sendable {
    struct Snapshot: Sendable {
        var received = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
        var statuses: [Int: Int] = [:]
        var sendTimes: BenchSendTimes?
    }

    /// Shared with the reading task, which starts before `self` is initialised.
    private final class State: Sendable {
        let mutex = Mutex(Snapshot())
        func withLock<R: Sendable>(_ body: (inout Snapshot) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    private let consumer: KafkaConsumer
    private let state = State()
    private let reader: Task<Void, Never>

    init(bootstrap: String, topic: String, from start: KafkaOffset = .beginning) async throws {
        // The measuring side should not add the mock's fetch wait to the latency it measures.
        let configuration = KafkaConsumerConfiguration(MockCluster.configuration(bootstrap))
        let consumer = try KafkaConsumer(configuration: configuration, logger: BenchCommand.logger)
        var positions: [TopicPartition: KafkaOffset] = [:]
        for partition in try await consumer.partitions(of: topic) {
            // librdkafka resolves `.end` only when it starts fetching, after `assign` returns, so
            // results written in between would be skipped: each end is read here instead.
            positions[partition] =
                start == .end
                ? .exact(try await consumer.watermarks(topic: topic, partition: partition.partition).high) : start
        }
        try await consumer.assign(positions)
        let state = self.state
        self.consumer = consumer
        self.reader = Task {
            for await batch in consumer.batches {
                let now = ContinuousClock.now
                state.withLock { snapshot in
                    snapshot.received += batch.count
                    if snapshot.first == nil { snapshot.first = now }
                    snapshot.last = now
                    for message in batch {
                        snapshot.statuses[Self.status(of: message.value), default: 0] += 1
                        guard let times = snapshot.sendTimes,
                            let correlation = message.header(named: "correlation-id")?.stringValue,
                            correlation.hasPrefix("lat-"), let index = Int(correlation.dropFirst(4))
                        else { continue }
                        times.resulted(index, at: now)
                    }
                }
            }
        }
    }

    func trackLatency(_ times: BenchSendTimes) { state.withLock { $0.sendTimes = times } }

    func snapshot() -> Snapshot { state.withLock { $0 } }

    func waitFor(total: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while state.withLock({ $0.received }) < total {
            guard ContinuousClock.now < deadline else {
                throw ValidationError(
                    "only \(state.withLock { $0.received }) of \(total) results arrived within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    func close() async {
        await consumer.close()
        reader.cancel()
        await reader.value
    }

    /// The `status` member of a result message (`…,"status":201,…`), without a JSON parse.
    static func status(of value: [UInt8]) -> Int {
        let marker = Array(#","status":"#.utf8)
        guard value.count > marker.count else { return 0 }
        var index = 0
        while index + marker.count + 3 <= value.count {
            if value[index] == marker[0], Array(value[index..<(index + marker.count)]) == marker {
                var status = 0
                for byte in value[(index + marker.count)...].prefix(3) {
                    guard byte >= 0x30, byte <= 0x39 else { return 0 }
                    status = status * 10 + Int(byte - 0x30)
                }
                return status
            }
            index += 1
        }
        return 0
    }
}
