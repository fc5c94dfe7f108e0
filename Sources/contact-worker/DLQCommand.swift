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
            commandName: "list",
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
            letters.sort {
                ($0.timestamp?.milliseconds ?? 0, $0.partition, $0.offset) < (
                    $1.timestamp?.milliseconds ?? 0, $1.partition, $1.offset
                )
            }
            let shown = letters.suffix(limit)
            say("\(shown.count) dead letter(s) on \(topic)\(letters.count > shown.count ? " (newest \(limit))" : "")")
            for letter in shown { say(DLQCommand.describe(letter)) }
        }
    }

    /// `dlq redrive`: sends dead letters back to the commands topic.
    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "redrive",
            abstract: "Re-publish dead letters to the commands topic, recording where they came from.",
            discussion: """
                The original key, value, headers and time are re-published (the x-error-* and x-original-* \
                headers are dropped) with x-redriven-from: <dlq topic>/<partition>@<offset>. Fix the \
                cause first (e.g. publish a corrected command), or the worker dead-letters it again. \
                --all skips a letter that was re-driven before and failed again (the newer letter stands \
                for it), so running it twice does not double the topic. A letter that was cut to fit \
                (x-original-*-bytes) is not re-driven as is. Examples:
                  contact-worker dlq redrive --offset 17
                  contact-worker dlq redrive --offset 17 --value-file fixed-command.json
                  contact-worker dlq redrive --offset 17 --token "$(contact-worker token --business acme)"
                  contact-worker dlq redrive --all --partition 2
                """
        )

        @Option(help: "Re-drive the dead letter at this offset.")
        var offset: Int64?

        @Option(help: "The partition of --offset (default 0); with --all, only this partition.")
        var partition: Int32?

        @Flag(help: "Re-drive every dead letter.")
        var all = false

        @Option(
            name: .customLong("value-file"),
            help: "With --offset: publish this file's content as the value instead (a corrected command).")
        var valueFile: String?

        @Option(help: "Replace the letters' authorization header with this token (theirs may have expired since).")
        var token: String?

        @OptionGroup var settings: SettingsOptions

        func validate() throws {
            guard (offset == nil) != !all else { throw ValidationError("give either --offset N or --all") }
            if valueFile != nil && offset == nil { throw ValidationError("--value-file needs --offset") }
            if let token, token.isEmpty || token.contains(where: \.isWhitespace) {
                throw ValidationError("--token: not a JWT")
            }
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
                start[partition ?? 0] = offset
                end = [partition ?? 0: offset + 1]
            } else {
                for candidate in try await consumer.partitions(of: topic)
                where partition == nil || candidate.partition == partition {
                    start[candidate.partition] = 0
                }
                if let partition, start.isEmpty {
                    await consumer.close()
                    throw OperatorError("the dead-letter topic \(topic) has no partition \(partition)")
                }
            }
            let letters: [KafkaMessage]
            do {
                var read: [KafkaMessage] = []
                try await TopicRange(consumer: consumer, topic: topic).read(from: start, to: end) { read += $0 }
                letters = read
            } catch {
                await consumer.close()
                throw error
            }
            await consumer.close()
            if let offset, letters.isEmpty {
                throw OperatorError(
                    "no dead letter at \(topic)/\(partition ?? 0)@\(offset) (see contact-worker dlq list)")
            }

            // With --all, a letter that a later letter was re-driven from has been tried again
            // already: only the newest of each chain is re-driven.
            let superseded = all ? Set(letters.compactMap { $0.lastHeader(named: "x-redriven-from")?.stringValue }) : []
            var selected: [KafkaMessage] = []
            var skipped = 0
            for letter in letters {
                if superseded.contains("\(letter.topic)/\(letter.partition)@\(letter.offset)") {
                    skipped += 1
                    continue
                }
                if replacement == nil, let cut = DLQCommand.cutParts(letter) {
                    let message =
                        "\(letter.partition)@\(letter.offset) was cut to fit the dead-letter topic (\(cut)); re-drive it with --value-file"
                    guard all else { throw OperatorError(message) }
                    say("  skipped \(message)")
                    skipped += 1
                    continue
                }
                selected.append(letter)
            }
            if token == nil {
                await DLQCommand.warnAboutExpiredTokens(selected, settings: settings)
            }

            var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
            for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(kafka), logger: BenchCommand.logger)
            let progress = ProgressReporter(noun: "dead letters re-driven")
            var redriven = 0
            // In order, a chunk at a time, stopping at the first failure: re-driving later letters
            // of a contact before an earlier one would reorder its commands.
            for chunkStart in stride(from: 0, to: selected.count, by: 500) {
                let chunk = selected[chunkStart..<min(chunkStart + 500, selected.count)]
                let messages = chunk.map {
                    DLQCommand.redriven($0, to: settings.topics.commands, value: replacement, token: token)
                }
                let reports: [KafkaDeliveryReport]
                do {
                    reports = try await producer.send(batch: messages)
                } catch {
                    await producer.shutdown()
                    throw OperatorError(
                        "re-drove \(redriven) dead letter(s), then publishing failed: \(error); run again to continue")
                }
                for (letter, report) in zip(chunk, reports) {
                    do {
                        _ = try report.get()
                    } catch {
                        await producer.shutdown()
                        let after = zip(chunk, reports).drop {
                            $0.0.offset != letter.offset || $0.0.partition != letter.partition
                        }
                        .dropFirst().filter { $0.1.isDelivered }.count
                        throw OperatorError(
                            "re-drove \(redriven) dead letter(s); \(letter.partition)@\(letter.offset) failed: \(error)"
                                + (after > 0
                                    ? " (\(after) later letter(s) of the same chunk were delivered anyway)" : "")
                                + "; re-drive it and the ones after it with --offset, one at a time, or all again with --all"
                        )
                    }
                    redriven += 1
                }
                progress.advance(by: chunk.count)
            }
            progress.finish()
            await producer.shutdown()
            if skipped > 0 {
                say("\(redriven) re-driven, \(skipped) skipped (re-driven before and failed again, or cut to fit)")
            }
        }
    }

    static func consumer(_ settings: WorkerSettings) throws -> KafkaConsumer {
        var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
        for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
        return try KafkaConsumer(configuration: TopicRange.consumerConfiguration(kafka), logger: BenchCommand.logger)
    }

    /// The message to publish for a dead letter: original key, value, headers and time, plus
    /// where it came from. The time matters: a command without `issued_at` takes its time from
    /// the message (docs/contract.md §3), so a re-driven command records when it was sent, not when it was
    /// re-driven.
    static func redriven(
        _ letter: KafkaMessage, to topic: String, value: [UInt8]? = nil, token: String? = nil
    ) -> KafkaOutgoingMessage {
        var headers = letter.headers.filter {
            !$0.name.hasPrefix("x-error-") && !$0.name.hasPrefix("x-original-") && $0.name != "x-redriven-from"
                && !(token != nil && $0.name.lowercased() == "authorization")
        }
        if let token { headers.append(KafkaHeader(name: "authorization", string: "Bearer \(token)")) }
        headers.append(
            KafkaHeader(name: "x-redriven-from", string: "\(letter.topic)/\(letter.partition)@\(letter.offset)"))
        let originalTime = letter.lastHeader(named: "x-original-timestamp")?.stringValue.flatMap { Int64($0) }
        return KafkaOutgoingMessage(
            topic: topic, key: letter.key, value: value ?? letter.value, headers: headers,
            timestampMilliseconds: originalTime ?? letter.timestamp?.milliseconds)
    }

    /// Which parts of a dead letter were cut to fit the topic (`value, key`), or nil when none was.
    static func cutParts(_ letter: KafkaMessage) -> String? {
        let cut = [
            ("value", "x-original-value-bytes"), ("headers", "x-original-headers-bytes"),
            ("key", "x-original-key-bytes"),
        ]
        .filter { letter.lastHeader(named: $0.1) != nil }.map(\.0)
        return cut.isEmpty ? nil : cut.joined(separator: ", ")
    }

    /// Says which letters carry a token that has expired by now: the worker checks tokens when it
    /// processes a command, so those come back 401 unless re-driven with `--token`.
    static func warnAboutExpiredTokens(_ letters: [KafkaMessage], settings: WorkerSettings) async {
        guard
            let verifier = try? await settings.makeTokenVerifier()
        else { return }
        let now = Timestamp(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
        var expired: [String] = []
        for letter in letters {
            let header = letter.headers.first { $0.name.lowercased() == "authorization" }?.stringValue
            if case .failure(.expired) = await verifier.verify(authorizationHeader: header, now: now) {
                expired.append("\(letter.partition)@\(letter.offset)")
            }
        }
        guard !expired.isEmpty else { return }
        let listed = expired.prefix(10).joined(separator: ", ") + (expired.count > 10 ? ", …" : "")
        say(
            "  warning: \(expired.count) letter(s) carry an expired token (\(listed)); the worker will answer 401: re-drive with --token"
        )
    }

    /// `partition@offset  time  reason  value preview`.
    static func describe(_ letter: KafkaMessage) -> String {
        let time = letter.timestamp.map { Timestamp(millisecondsSinceEpoch: $0.milliseconds).rfc3339 } ?? "-"
        let reason = letter.lastHeader(named: "x-error-reason")?.stringValue ?? "(no reason)"
        let origin = [letter.lastHeader(named: "x-original-partition"), letter.lastHeader(named: "x-original-offset")]
            .map { $0?.stringValue ?? "?" }.joined(separator: "@")
        var preview = String(decoding: letter.value.prefix(80), as: UTF8.self)
            .map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined()
        if letter.value.count > 80 { preview += "…" }
        return "  \(letter.partition)@\(letter.offset)  \(time)  from \(origin)  \(reason)\n      \(preview)"
    }
}
