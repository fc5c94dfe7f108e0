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
        try await builder.sendBacklog(contactIDs: contactIDs, count: count, with: producer)
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
            let latency = BenchLatencyRun(
                bootstrap: bootstrap, builder: builder, contactIDs: contactIDs, firstIndex: count, rate: rate,
                seconds: seconds)
            say(try await latency.run(results: results))
        }

        measurementDone.finish()
        _ = try? await worker.value
        await results.close()
        await producer.shutdown()
    }

    static func send(_ messages: [KafkaOutgoingMessage], with producer: KafkaProducer) async throws {
        for report in try await producer.send(batch: messages) { _ = try report.get() }
    }

    static func rate(_ count: Int, _ duration: Duration) -> Int {
        let seconds = BenchCommand.secondsValue(duration)
        return seconds > 0 ? Int((Double(count) / seconds).rounded()) : 0
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
