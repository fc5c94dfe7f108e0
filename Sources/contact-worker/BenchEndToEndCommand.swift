import ArgumentParser
import ContactWorker
import Foundation
import Kafka
import Logging
import Synchronization

/// `contact-worker bench e2e`: the whole product, measured from outside.
///
/// One process hosts an embedded mock cluster, the real worker (`WorkerApplication`, the path
/// `contact-worker run` takes) and the measuring producer and results consumer, so the numbers
/// include everything that shares the machine's cores: broker, worker, and for SQLite the database.
///
/// 1. Throughput: `--contacts` CreateContact and `--count` AddInteraction commands are produced
///    before the worker starts; the rate is results received per second between the first and
///    the last result.
/// 2. Latency: with the worker caught up, commands are produced at a fixed `--rate` for
///    `--seconds`; each one's latency is the time from handing it to the producer to its result
///    arriving on the results topic (p50, p99, max).
struct BenchEndToEndCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "End-to-end AddInteraction throughput and produce-to-result latency of one worker.",
        discussion: """
            Uses a fresh SQLite file in a temporary directory unless --database-url is given. A PostgreSQL \
            database must be empty (BENCH=e2e BACKENDS=postgres scripts/bench.sh starts a throwaway server). Prints one line per \
            measurement.
            """
    )

    @Option(help: "DATABASE_URL for the worker (default: sqlite in a temporary directory).")
    var databaseURL: String?

    @Option(help: "AddInteraction commands in the throughput run.")
    var count = 100_000

    @Option(help: "Contacts the commands are spread over (created first, not counted in the rate).")
    var contacts = 5_000

    @Option(help: "Partitions of each topic (the mock keeps about 5 MB per partition).")
    var partitions = 64

    @Option(help: "Commands per second in the latency run.")
    var rate = 2_000

    @Option(help: "Duration of the latency run, in seconds (0 skips it).")
    var seconds = 10

    @Option(help: "Worker log level.")
    var logLevel = "warning"

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("Extra librdkafka property for the worker, key=value (repeatable).", valueName: "key=value"))
    var properties: [String] = []

    static let secret = "bench-only-secret-0123456789abcdef0123456789"
    static let business = "bench-business"

    func validate() throws {
        guard count > 0, contacts > 0, partitions > 0, rate > 0, seconds >= 0 else {
            throw ValidationError("--count, --contacts, --partitions and --rate must be positive")
        }
    }

    func run() async throws {
        let cluster = try MockCluster(brokers: 1)
        defer { cluster.close() }
        let topics = WorkerTopics()
        for topic in [topics.commands, topics.events, topics.results] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        try cluster.createTopic(topics.deadLetters, partitions: 1)
        let bootstrap = cluster.bootstrapServers

        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
            "contact-worker-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let database = databaseURL ?? "sqlite:\(temporary.appendingPathComponent("bench.sqlite").path)"

        var environment: [String: String] = [
            "KAFKA_BROKERS": bootstrap, "DATABASE_URL": database, "JWT_HS256_SECRET": Self.secret,
            "LOG_LEVEL": logLevel,
        ]
        for (key, value) in try BenchCommand.parse(properties) {
            environment["KAFKA_" + key.uppercased().replacingOccurrences(of: ".", with: "_")] = value
        }
        // -X properties win over the mock tuning.
        let settings = try await WorkerSettings.load(file: nil, environment: environment).onMockCluster()
        let logger = WorkerLogging.bootstrap(format: "text", level: settings.logLevel)

        let tokens = try await (0..<8).asyncMap { user in
            try await TokenCommand.mint(
                secret: Self.secret, sub: "bench-\(user)", name: "Bench User \(user)", business: Self.business,
                role: "employee", ttl: 3_600)
        }
        let contactIDs = (0..<contacts).map { _ in UUID().uuidString.lowercased() }
        let builder = BenchCommandBuilder(topic: topics.commands, business: Self.business, tokens: tokens)

        // Everything the throughput run processes is on the topic before the worker starts.
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(MockCluster.configuration(bootstrap)), logger: BenchCommand.logger
        )
        let preloaded = contacts + count
        let preloadStart = ContinuousClock.now
        try await Self.send(contactIDs.enumerated().map { builder.create(contact: $1, index: $0) }, with: producer)
        var next = 0
        while next < count {
            let end = min(next + 10_000, count)
            try await Self.send(
                (next..<end).map {
                    builder.addInteraction(contact: contactIDs[$0 % contactIDs.count], index: $0, correlationID: nil)
                },
                with: producer)
            next = end
        }
        say(
            "produced \(preloaded) commands (\(contacts) CreateContact + \(count) AddInteraction) on \(partitions) partitions in \(BenchCommand.seconds(preloadStart.duration(to: .now))) s"
        )

        let results = try await BenchResultsReader(bootstrap: bootstrap, topic: topics.results)
        let workerStart = ContinuousClock.now
        let cpuAtStart = ProcessCPUTime.now()
        let (measured, measurementDone) = AsyncStream<Void>.makeStream()
        let worker = Task {
            try await WorkerApplication(settings: settings, logger: logger).run(shutdownWhen: {
                for await _ in measured {}
            })
        }

        // Throughput.
        try await results.waitFor(total: preloaded, timeout: .seconds(600))
        let throughput = results.snapshot()
        let cpu = ProcessCPUTime.now() - cpuAtStart
        guard let first = throughput.first, let last = throughput.last else {
            throw ValidationError("no results arrived")
        }
        let steady = first.duration(to: last)
        say(
            """
            throughput on \(database.hasPrefix("sqlite:") ? "SQLite" : "PostgreSQL"): \(preloaded) results in \(BenchCommand.seconds(steady)) s \
            = \(Self.rate(preloaded, steady)) commands/s (first to last result; \
            \(BenchCommand.seconds(workerStart.duration(to: last))) s from worker start incl. group join)
              statuses: \(throughput.statuses.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
              CPU of this process from worker start to the last result: \(BenchCommand.seconds(cpu.user)) s user + \
            \(BenchCommand.seconds(cpu.system)) s system = \(Int(BenchCommand.secondsValue(cpu.total) * 1_000_000 / Double(preloaded))) µs \
            per command (mock broker, worker, measuring clients\(database.hasPrefix("sqlite:") ? " and SQLite" : "; not the PostgreSQL server"))
            """)

        // Latency at a fixed rate.
        if seconds > 0 {
            let total = rate * seconds
            let times = BenchSendTimes(count: total)
            results.trackLatency(times)
            // Like the results reader, the sending side should not add its own batching delay:
            // the default linger.ms (5) would count as worker latency.
            var senderConfiguration = KafkaProducerConfiguration(MockCluster.configuration(bootstrap))
            senderConfiguration.set("linger.ms", "0")
            let sender = try KafkaProducer(configuration: senderConfiguration, logger: BenchCommand.logger)
            // A new producer's first send waits for its idempotent producer id and the topic's
            // metadata (about a second on the mock); one command acknowledged before the clock
            // starts keeps that set-up out of the first second's latencies.
            let warmUp = 1
            try await Self.send(
                [builder.addInteraction(contact: contactIDs[0], index: count + total, correlationID: "warm-up")],
                with: sender)
            let tick = Duration.milliseconds(10)
            let perTick = max(1, rate / 100)
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                var index = 0
                var deadline = start
                while index < total {
                    let range = index..<min(index + perTick, total)
                    let messages = range.map {
                        builder.addInteraction(
                            contact: contactIDs[$0 % contactIDs.count], index: count + $0, correlationID: "lat-\($0)")
                    }
                    times.mark(range, .enqueued, at: clock.now)
                    group.addTask {
                        try await Self.send(messages, with: sender)
                        times.mark(range, .acknowledged, at: clock.now)
                    }
                    index = range.upperBound
                    deadline = deadline.advanced(by: tick)
                    try await clock.sleep(until: deadline, tolerance: .milliseconds(1))
                }
                try await group.waitForAll()
            }
            await sender.shutdown()
            let acknowledgedRate = Double(total) / BenchCommand.secondsValue(start.duration(to: clock.now))
            try await results.waitFor(total: preloaded + warmUp + total, timeout: .seconds(120))
            let fromSend = times.latencies(from: .enqueued)
            let fromBroker = times.latencies(from: .acknowledged)
            say(
                """
                latency at \(rate) commands/s for \(seconds) s (\(fromSend.count) results; the broker acknowledged \(Int(acknowledgedRate)) commands/s):
                  handed to the producer → result received:     \(Self.percentiles(fromSend))
                  acknowledged by the broker → result received: \(Self.percentiles(fromBroker))
                """)
        }

        measurementDone.finish()
        _ = try? await worker.value
        await results.close()
        await producer.shutdown()
    }

    static func send(_ messages: [KafkaOutgoingMessage], with producer: KafkaProducer) async throws {
        for report in try await producer.send(batch: messages) { _ = try report.get() }
    }

    /// `p50 … ms, p99 … ms, max … ms` of `latencies`.
    static func percentiles(_ latencies: [Duration]) -> String {
        let sorted = latencies.sorted()
        guard let last = sorted.last else { return "no samples" }
        func at(_ p: Double) -> String {
            BenchCommand.milliseconds(
                sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))])
        }
        return "p50 \(at(0.50)) ms, p99 \(at(0.99)) ms, max \(BenchCommand.milliseconds(last)) ms"
    }

    static func rate(_ count: Int, _ duration: Duration) -> Int {
        let seconds = BenchCommand.secondsValue(duration)
        return seconds > 0 ? Int((Double(count) / seconds).rounded()) : 0
    }
}

/// For each latency-run command (by index): when it was handed to the producer, when the broker
/// acknowledged it, and when its result arrived.
final class BenchSendTimes: Sendable {
    struct Times: Sendable {
        var enqueued: ContinuousClock.Instant?
        var acknowledged: ContinuousClock.Instant?
        var resulted: ContinuousClock.Instant?
    }

    private let times: Mutex<[Times]>

    init(count: Int) { times = Mutex(Array(repeating: Times(), count: count)) }

    /// The two moments a latency is measured from.
    enum Start: Sendable {
        case enqueued
        case acknowledged
    }

    func mark(_ range: Range<Int>, _ start: Start, at instant: ContinuousClock.Instant) {
        times.withLock { times in
            for index in range {
                switch start {
                case .enqueued: times[index].enqueued = instant
                case .acknowledged: times[index].acknowledged = instant
                }
            }
        }
    }

    func resulted(_ index: Int, at instant: ContinuousClock.Instant) {
        times.withLock { if $0.indices.contains(index) { $0[index].resulted = instant } }
    }

    /// Result arrival minus `field`, for every command that has both (never negative: a result
    /// can be read before the acknowledgement reaches the sending task).
    func latencies(from start: Start) -> [Duration] {
        times.withLock { times in
            times.compactMap { entry in
                guard let begin = start == .enqueued ? entry.enqueued : entry.acknowledged, let end = entry.resulted
                else { return nil }
                return max(.zero, begin.duration(to: end))
            }
        }
    }
}

/// Reads the results topic from the beginning and keeps what the benchmark reports.
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

    init(bootstrap: String, topic: String) async throws {
        // The measuring side should not add the mock's fetch wait to the latency it measures.
        let configuration = KafkaConsumerConfiguration(MockCluster.configuration(bootstrap))
        let consumer = try KafkaConsumer(configuration: configuration, logger: BenchCommand.logger)
        let partitions = try await consumer.partitions(of: topic)
        try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
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

extension Sequence where Element: Sendable {
    /// `map` for an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}
