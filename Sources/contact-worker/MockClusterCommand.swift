import ArgumentParser
import Dispatch
import Foundation
import Kafka

/// `contact-worker mock-cluster`: an in-process Kafka cluster for development and benchmarks,
/// reachable over TCP by any client (kcat included).
struct MockClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-cluster",
        abstract: "Run librdkafka's mock Kafka cluster until SIGINT/SIGTERM.",
        discussion: "Prints `bootstrap: <servers>` once the brokers listen. The mock keeps about 5 MB per partition."
    )

    @Option(help: "Number of brokers.")
    var brokers: Int = 1

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp("Topic to create, NAME:PARTITIONS (repeatable).", valueName: "name:partitions"))
    var topics: [String] = []

    func validate() throws {
        guard brokers > 0 else { throw ValidationError("--brokers must be at least 1") }
        _ = try parsedTopics()
    }

    private func parsedTopics() throws -> [(String, Int)] {
        try topics.map { spec in
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let partitions = Int(parts[1]), partitions > 0 else {
                throw ValidationError("--topic expects NAME:PARTITIONS, got \"\(spec)\"")
            }
            return (String(parts[0]), partitions)
        }
    }

    func run() async throws {
        let cluster = try MockCluster(brokers: brokers)
        for (name, partitions) in try parsedTopics() {
            try cluster.createTopic(name, partitions: partitions)
        }
        FileHandle.standardOutput.write(Data("bootstrap: \(cluster.bootstrapServers)\n".utf8))
        await Self.waitForTermination()
        cluster.close()
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "mock-cluster.signals")
            let once = SignalOnce(continuation)
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { once.fire() }
                source.resume()
                once.keep(source)
            }
        }
    }
}

/// Resumes the waiting task on the first signal and keeps the signal sources alive until then.
private final class SignalOnce: @unchecked Sendable {
    // Both fields are guarded by `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    func fire() {
        let continuation = lock.withLock {
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume()
    }
}
