import ArgumentParser
import Foundation
import Kafka
import Logging

/// `contact-worker bench`: the benchmarks behind docs/benchmarks.md. `consume` and `produce`
/// measure the Kafka layer alone (to compare with `kcat` on the same cluster and topic), `store`
/// the database alone, `e2e` the whole worker.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the Kafka layer, the store, and the whole worker.",
        subcommands: [
            Consume.self, Produce.self, BenchStoreCommand.self, BenchEndToEndCommand.self, BenchLoadCommand.self,
        ]
    )

    /// `bench consume`: reads N messages from all partitions, like `kcat -C -o beginning -e`.
    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consume",
            abstract: "Consume N messages from every partition of a topic, from the beginning, without a group.",
            discussion:
                "Prints one line: consumed N messages in S s: R msg/s (timed from the start of consumption to the Nth message)."
        )

        @Option(help: "Bootstrap servers, host:port[,host:port…].")
        var brokers: String

        @Option(help: "Topic to read.")
        var topic: String

        @Option(help: "Number of messages to consume.")
        var count: Int

        @Option(help: "Most messages per batch handed to the application.")
        var batchSize: Int = 10_000

        @Option(help: "Messages buffered in memory before fetching pauses (default: 5 batches).")
        var bufferCapacity: Int?

        @Flag(help: "Log the Kafka layer at debug level (flow control, rebalances).")
        var verbose = false

        @Option(
            name: .customShort("X"),
            help: ArgumentHelp("Extra librdkafka property, key=value (repeatable).", valueName: "key=value"))
        var properties: [String] = []

        func run() async throws {
            var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers)
            configuration.maxBatchSize = batchSize
            configuration.bufferCapacity = bufferCapacity ?? batchSize * 5
            for (key, value) in try BenchCommand.parse(properties) { configuration.set(key, value) }
            var logger = BenchCommand.logger
            if verbose { logger.logLevel = .debug }
            let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            let partitions = try await consumer.partitions(of: topic)
            let start = ContinuousClock.now
            try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
            var consumed = 0
            for await batch in consumer.batches {
                consumed += batch.count
                if consumed >= count { break }
            }
            let elapsed = start.duration(to: .now)
            let closing = ContinuousClock.now
            await consumer.close()
            if verbose { logger.debug("consumer closed in \(closing.duration(to: .now))") }
            guard consumed >= count else {
                throw ValidationError("the consumer closed after \(consumed) of \(count) messages")
            }
            print(BenchCommand.line("consumed", count, elapsed))
        }
    }

    /// `bench produce`: writes N messages of about `size` bytes with the batched send.
    struct Produce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "produce",
            abstract: "Produce N messages of about SIZE bytes with batched sends and report the rate."
        )

        @Option(help: "Bootstrap servers, host:port[,host:port…].")
        var brokers: String

        @Option(help: "Topic to write.")
        var topic: String

        @Option(help: "Number of messages to produce.")
        var count: Int

        @Option(help: "Approximate value size in bytes.")
        var size: Int = 450

        @Option(help: "Spread messages round-robin over this many partitions (default: by key hash).")
        var partitions: Int?

        @Option(help: "Messages per batched send.")
        var batchSize: Int = 10_000

        @Option(
            name: .customShort("X"),
            help: ArgumentHelp("Extra librdkafka property, key=value (repeatable).", valueName: "key=value"))
        var properties: [String] = []

        func validate() throws {
            guard count > 0, size >= 0, batchSize > 0 else {
                throw ValidationError("count and batch-size must be positive")
            }
            if let partitions, partitions <= 0 { throw ValidationError("--partitions must be positive") }
        }

        func run() async throws {
            var configuration = KafkaProducerConfiguration(bootstrapServers: brokers)
            for (key, value) in try BenchCommand.parse(properties) { configuration.set(key, value) }
            let producer = try KafkaProducer(configuration: configuration, logger: BenchCommand.logger)
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: 0x41 + $0 % 26) }
            var failed = 0
            let start = ContinuousClock.now
            var next = 0
            while next < count {
                let end = min(next + batchSize, count)
                let batch = (next..<end).map { index in
                    KafkaOutgoingMessage(
                        topic: topic, partition: partitions.map { Int32(index % $0) },
                        key: Array("contact-\(index)".utf8), value: payload
                    )
                }
                let reports = try await producer.send(batch: batch)
                failed += reports.count { !$0.isDelivered }
                if let error = reports.first(where: { !$0.isDelivered })?.error, failed == reports.count { throw error }
                next = end
            }
            let elapsed = start.duration(to: .now)
            await producer.shutdown()
            print(BenchCommand.line("produced", count - failed, elapsed))
            if failed > 0 { throw ValidationError("\(failed) messages were not delivered") }
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "contact-worker.bench")
        logger.logLevel = .warning
        return logger
    }

    static func parse(_ properties: [String]) throws -> [(String, String)] {
        try properties.map { property in
            guard let equals = property.firstIndex(of: "="), equals != property.startIndex else {
                throw ValidationError("-X expects key=value, got \"\(property)\"")
            }
            return (String(property[..<equals]), String(property[property.index(after: equals)...]))
        }
    }

    static func secondsValue(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func seconds(_ duration: Duration) -> String { String(format: "%.3f", secondsValue(duration)) }

    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f", secondsValue(duration) * 1_000) }

    static func line(_ verb: String, _ count: Int, _ elapsed: Duration) -> String {
        let seconds = secondsValue(elapsed)
        let rate = seconds > 0 ? Double(count) / seconds : 0
        return "\(verb) \(count) messages in \(String(format: "%.3f", seconds)) s: \(Int(rate.rounded())) msg/s"
    }
}
