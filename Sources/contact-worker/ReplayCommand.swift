import ArgumentParser
import ContactDomain
import ContactStore
import ContactWorker
import Kafka

/// `contact-worker replay`: re-processes a range of the commands topic through the pipeline.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-process a range of the commands topic without touching the group's offsets.",
        discussion: """
            Commands are idempotent: replaying processed commands changes nothing and reports them as \
            duplicates; after a database loss, replaying the topic rebuilds the same state. Tokens are \
            checked as of each message's time. Each partition stops at the position the group's workers \
            stored in the database (what comes after is theirs to process, in order); \
            --beyond-group-position lifts that. The database must already be migrated (replay never \
            changes the schema). Run with --dry-run first. Examples:
              contact-worker replay --from-offset 0 --dry-run
              contact-worker replay --from-time 2024-01-10T00:00:00Z --to-time 2024-01-11T00:00:00Z --partition 3
            """
    )

    @Option(name: .customLong("from-offset"), help: "First offset to replay (in every selected partition).")
    var fromOffset: Int64?

    @Option(name: .customLong("from-time"), help: "First message time to replay (RFC 3339).")
    var fromTime: String?

    @Option(name: .customLong("to-offset"), help: "Last offset to replay (inclusive).")
    var toOffset: Int64?

    @Option(name: .customLong("to-time"), help: "Last message time to replay (RFC 3339, inclusive).")
    var toTime: String?

    @Option(help: "Only this partition (default: all).")
    var partition: Int32?

    @Flag(name: .customLong("dry-run"), help: "Print what would happen without writing or publishing anything.")
    var dryRun = false

    @Flag(
        name: .customLong("beyond-group-position"),
        help: "Also replay commands the group has not processed yet (only with its workers stopped).")
    var beyondGroupPosition = false

    @Flag(
        name: .customLong("redecide-unrecorded"),
        help:
            "Also decide again the messages the workers answered 401/403 or dead-lettered (a database restored from a backup)."
    )
    var redecideUnrecorded = false

    @OptionGroup var settings: SettingsOptions

    func validate() throws {
        guard (fromOffset == nil) != (fromTime == nil) else {
            throw ValidationError("give either --from-offset or --from-time")
        }
        guard toOffset == nil || toTime == nil else {
            throw ValidationError("give at most one of --to-offset and --to-time")
        }
        for (flag, value) in [("--from-time", fromTime), ("--to-time", toTime)] {
            if let value, Timestamp(rfc3339: value) == nil {
                throw ValidationError("\(flag): \"\(value)\" is not an RFC 3339 time")
            }
        }
        if let fromOffset, fromOffset < 0 { throw ValidationError("--from-offset must be 0 or more") }
    }

    var range: CommandReplay.Range {
        let from: CommandReplay.Range.Bound =
            fromOffset.map { .offset($0) }
            ?? .time(fromTime.flatMap { Timestamp(rfc3339: $0) } ?? Timestamp(microsecondsSinceEpoch: 0))
        let to: CommandReplay.Range.Bound? =
            toOffset.map { .offset($0) } ?? toTime.flatMap { Timestamp(rfc3339: $0) }.map { .time($0) }
        return CommandReplay.Range(from: from, to: to, partition: partition)
    }

    /// Fails with a clear line unless the database has exactly this build's migrations.
    static func requireCurrentSchema(_ store: any ContactStore) async throws {
        guard let current = try await ContactStoreSchema.mismatchedVersion(of: store) else { return }
        let latest = ContactStoreSchema.latestVersion
        if current < latest {
            throw OperatorError(
                "the database's schema is at version \(current), this build's at \(latest): run `contact-worker migrate` "
                    + "first (replay never changes the schema)")
        }
        if current > latest {
            throw OperatorError(
                "the database's schema is at version \(current), newer than this build's \(latest): use a build at least as "
                    + "new as the workers'")
        }
    }

    func run() async throws {
        let settings = try await settings.load()
        let logger = WorkerLogging.bootstrap(format: settings.logFormat, level: "warning")
        let store = try await makeContactStore(url: settings.databaseURL, logger: logger)
        // Never migrate here, even with DATABASE_MIGRATE=true: a new build's replay (or dry run)
        // against a database older workers still use would change the schema under them.
        do {
            try await Self.requireCurrentSchema(store)
        } catch {
            await store.close()
            throw error
        }
        var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
        for (key, value) in settings.kafkaProperties where key != "group.id" { kafka.set(key, value) }
        let consumer = try KafkaConsumer(configuration: TopicRange.consumerConfiguration(kafka), logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka), logger: logger)
        // The same keys as the workers: a JWKS that still holds the keys of the replayed range's
        // tokens is all replaying it needs.
        let verifier = try await settings.makeTokenVerifier()
        let replay = CommandReplay(
            consumer: consumer, producer: producer, store: store, verifier: verifier, topics: settings.topics,
            group: settings.groupID, logger: logger)
        let progress = ProgressReporter(noun: dryRun ? "commands planned" : "commands replayed")
        let report: CommandReplay.Report
        do {
            report = try await replay.run(
                range, dryRun: dryRun, beyondGroupPosition: beyondGroupPosition, redecideUnrecorded: redecideUnrecorded
            ) {
                progress.advance(by: $0)
            }
        } catch {
            await consumer.close()
            await producer.shutdown()
            await store.close()
            throw error
        }
        progress.finish()
        await consumer.close()
        await producer.shutdown()
        await store.close()

        let summary = report.summary
        let ranges = report.ranges.sorted { $0.key < $1.key }.map {
            "\($0.key):\($0.value.lowerBound)-\($0.value.upperBound)"
        }
        say(
            """
            \(dryRun ? "dry run, nothing written: " : "")\(summary.messages) messages from \(settings.topics.commands) \
            (partition:offsets \(ranges.isEmpty ? "none" : ranges.joined(separator: " ")))
              \(dryRun ? "would apply" : "applied") \(summary.applied), duplicates \(summary.duplicates), \
            rejected \(summary.rejected), dead letters \(summary.deadLettered)\
            \(summary.skipped > 0 ? ", left alone \(summary.skipped) (answered 401/403 or dead-lettered when the workers processed them)" : "")
            """)
        if !report.removedByRetention.isEmpty {
            let gaps = report.removedByRetention.sorted { $0.key < $1.key }.map {
                "\($0.key):\($0.value.lowerBound)-\($0.value.upperBound - 1)"
            }
            say(
                """
                  warning: retention already removed part of the range (partition:offsets \(gaps.joined(separator: " "))); \
                those commands were not replayed, and commands after them about the same contacts may answer 404
                """)
        }
        if !report.stoppedAtGroupPosition.isEmpty {
            let stops = report.stoppedAtGroupPosition.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
            say(
                """
                  stopped at group \(settings.groupID)'s stored position (partition:offset \(stops.joined(separator: " "))); \
                the workers process what follows (--beyond-group-position replays it too)
                """)
        }
        if summary.applied == 0 && summary.messages > 0 && !dryRun {
            say("  nothing changed: every command had been processed before")
        }
    }
}
