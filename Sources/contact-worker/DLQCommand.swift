import ArgumentParser
import ContactDomain
import ContactWorker
import Foundation
import Kafka

/// `contact-worker dlq`: inspects and re-drives the dead-letter topic.
struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect and re-drive the dead-letter topic.",
        subcommands: [List.self, Redrive.self]
    )

    /// `dlq list`: what is in the dead-letter topic, readable.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters: partition and offset, time, reason and a preview of the value.",
            discussion: "Example: contact-worker dlq list --limit 20"
        )

        @Option(help: "At most this many entries (the newest).")
        var limit: Int = 50

        @OptionGroup var settings: SettingsOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
        }

        func run() async throws {
            let settings = try await settings.load()
            let topic = settings.topics.deadLetters
            let consumer = try DLQCommand.consumer(settings)
            var start: [Int32: Int64] = [:]
            for partition in try await consumer.partitions(of: topic) {
                // Only the newest `limit` of each partition are read.
                let marks = try await consumer.watermarks(topic: topic, partition: partition.partition)
                start[partition.partition] = max(marks.low, marks.high - Int64(limit))
            }
            var letters: [KafkaMessage] = []
            try await TopicRange(consumer: consumer, topic: topic).read(from: start) { letters.append(contentsOf: $0) }
            await consumer.close()
            letters.sort { ($0.timestamp?.milliseconds ?? 0, $0.partition, $0.offset) < ($1.timestamp?.milliseconds ?? 0, $1.partition, $1.offset) }
            let shown = letters.suffix(limit)
            say("\(shown.count) dead letter(s) on \(topic)\(letters.count > shown.count ? " (newest \(limit))" : "")")
            for letter in shown { say(DLQCommand.describe(letter)) }
        }
    }

    /// `dlq redrive`: sends dead letters back to the commands topic.
    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-publish dead letters to the commands topic, recording where they came from.",
            discussion: """
                The original key, value and headers are re-published (the x-error-* and x-original-* \
                headers are dropped) with x-redriven-from: <dlq topic>/<partition>@<offset>. Fix the \
                cause first (e.g. publish a corrected command), or the worker dead-letters it again. Examples:
                  contact-worker dlq redrive --offset 17
                  contact-worker dlq redrive --offset 17 --value-file fixed-command.json
                  contact-worker dlq redrive --all
                """
        )

        @Option(help: "Re-drive the dead letter at this offset.")
        var offset: Int64?

        @Option(help: "The partition of --offset (default 0).")
        var partition: Int32 = 0

        @Flag(help: "Re-drive every dead letter.")
        var all = false

        @Option(name: .customLong("value-file"), help: "With --offset: publish this file's content as the value instead (a corrected command).")
        var valueFile: String?

        @OptionGroup var settings: SettingsOptions

        func validate() throws {
            guard (offset == nil) != !all else { throw ValidationError("give either --offset N or --all") }
            if valueFile != nil && offset == nil { throw ValidationError("--value-file needs --offset") }
        }

        func run() async throws {
            let settings = try await settings.load()
            let replacement = try valueFile.map { path -> [UInt8] in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw OperatorError("--value-file: cannot read \(path)")
                }
                return Array(data)
            }
            let topic = settings.topics.deadLetters
            let consumer = try DLQCommand.consumer(settings)
            var start: [Int32: Int64] = [:]
            var end: [Int32: Int64]?
            if let offset {
                start[partition] = offset
                end = [partition: offset + 1]
            } else {
                for partition in try await consumer.partitions(of: topic) { start[partition.partition] = 0 }
            }
            var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
            for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka), logger: BenchCommand.logger)
            let progress = ProgressReporter(noun: "dead letters re-driven")
            var found = 0
            do {
                try await TopicRange(consumer: consumer, topic: topic).read(from: start, to: end) { letters in
                    found += letters.count
                    let messages = letters.map { DLQCommand.redriven($0, to: settings.topics.commands, value: replacement) }
                    for report in try await producer.send(batch: messages) { _ = try report.get() }
                    progress.advance(by: letters.count)
                }
            } catch {
                await consumer.close()
                await producer.shutdown()
                throw error
            }
            progress.finish()
            await consumer.close()
            await producer.shutdown()
            if let offset, found == 0 {
                throw OperatorError("no dead letter at \(topic)/\(partition)@\(offset) (see contact-worker dlq list)")
            }
        }
    }

    static func consumer(_ settings: WorkerSettings) throws -> KafkaConsumer {
        var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
        for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
        return try KafkaConsumer(configuration: TopicRange.consumerConfiguration(kafka), logger: BenchCommand.logger)
    }

    /// The message to publish for a dead letter: original key, value and headers, plus where it came from.
    static func redriven(_ letter: KafkaMessage, to topic: String, value: [UInt8]? = nil) -> KafkaOutgoingMessage {
        var headers = letter.headers.filter { !$0.name.hasPrefix("x-error-") && !$0.name.hasPrefix("x-original-") && $0.name != "x-redriven-from" }
        headers.append(KafkaHeader(name: "x-redriven-from", string: "\(letter.topic)/\(letter.partition)@\(letter.offset)"))
        return KafkaOutgoingMessage(topic: topic, key: letter.key, value: value ?? letter.value, headers: headers)
    }

    /// `partition@offset  time  reason  value preview`.
    static func describe(_ letter: KafkaMessage) -> String {
        let time = letter.timestamp.map { Timestamp(millisecondsSinceEpoch: $0.milliseconds).rfc3339 } ?? "-"
        let reason = letter.header(named: "x-error-reason")?.stringValue ?? "(no reason)"
        let origin = [letter.header(named: "x-original-partition"), letter.header(named: "x-original-offset")]
            .map { $0?.stringValue ?? "?" }.joined(separator: "@")
        var preview = String(decoding: letter.value.prefix(80), as: UTF8.self)
            .map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined()
        if letter.value.count > 80 { preview += "…" }
        return "  \(letter.partition)@\(letter.offset)  \(time)  from \(origin)  \(reason)\n      \(preview)"
    }
}
