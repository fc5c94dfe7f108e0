import ContactDomain
import ContactStore
import Foundation
import Kafka
import Logging

/// Re-processes a range of the commands topic through the worker's own pipeline, for operators
/// (`contact-worker replay`).
///
/// It reads without a consumer group and never stores or commits offsets, so the running
/// workers' positions are untouched. Because commands are idempotent, replaying commands that
/// were processed changes nothing and reports them as duplicates; after the database was lost,
/// replaying the whole topic rebuilds the same state (ids and timestamps come from the commands).
/// Tokens are checked as of each message's Kafka timestamp, so commands authorised when they were
/// sent are not rejected because their token has expired since. Results, events and dead letters
/// are published like the worker publishes them (events keep their ids).
///
/// By default a replay stops, in each partition, at the position the group's workers stored in
/// the database: commands past it are the live workers' to process, and replaying one ahead of
/// them would apply it out of order (an `UpdateStatus` before its `CreateContact` would store a
/// 404 as its permanent result). Partitions without a stored position (a database rebuilt from
/// the topic) have no such limit.
///
/// Between the first batch the workers stored in this database and their position, they decided
/// every message. There, those that left no idempotency record (answered 401/403, or
/// dead-lettered) are skipped, not decided again: a command refused because its token had
/// expired by the time a worker saw it stays refused, and a poison message is not dead-lettered
/// a second time (`dlq redrive` is the way to retry it). Before that first batch (a database
/// rebuilt after a loss: its workers started at the group's Kafka commit) everything is replayed.
/// `redecideUnrecorded` decides those messages again too (a database restored from a backup, or
/// workers that ran with a wrong key).
public struct CommandReplay: Sendable {
    /// Which part of the topic to replay.
    public struct Range: Sendable {
        /// Where to start: an offset (applied to every selected partition) or a time.
        public enum Bound: Sendable {
            case offset(Int64)
            case time(Timestamp)
        }

        public var from: Bound
        /// Inclusive end; `nil` means up to the end each partition has when the replay starts.
        public var to: Bound?
        /// Only this partition; `nil` means all.
        public var partition: Int32?

        public init(from: Bound, to: Bound? = nil, partition: Int32? = nil) {
            self.from = from
            self.to = to
            self.partition = partition
        }
    }

    /// What a replay did (or, in a dry run, would do).
    public struct Report: Sendable, Equatable {
        public var summary = BatchSummary()
        /// The offsets replayed per partition (first, last), for the operator's record.
        public var ranges: [Int32: ClosedRange<Int64>] = [:]
        /// The partitions whose range was cut at the group's stored position, with that position
        /// (the first offset left to the workers).
        public var stoppedAtGroupPosition: [Int32: Int64] = [:]
        /// Requested offsets that retention had already removed, per partition: not replayed.
        public var removedByRetention: [Int32: Swift.Range<Int64>] = [:]
    }

    let consumer: KafkaConsumer
    let store: any ContactStore
    let publisher: OutboxPublisher
    let processor: CommandBatchProcessor
    let topic: String
    let group: String
    let logger: Logger
    /// `processed_at` of the commands replayed; tokens are checked at each message's own time.
    let clock: WorkerClock

    public init(
        consumer: KafkaConsumer, producer: KafkaProducer, store: any ContactStore, verifier: TokenVerifier,
        topics: WorkerTopics, group: String, clock: WorkerClock = .system, logger: Logger
    ) {
        self.consumer = consumer
        self.store = store
        self.publisher = OutboxPublisher(store: store, producer: producer, logger: logger)
        self.processor = CommandBatchProcessor(
            context: .init(store: store, verifier: verifier, topics: topics, group: group))
        self.topic = topics.commands
        self.group = group
        self.clock = clock
        self.logger = logger
    }

    /// Replays `range`. With `dryRun`, nothing is written or published: each batch is planned
    /// against the database plus what earlier batches of the run would have written (kept in
    /// memory). `progress` is called with the number of messages after each batch. With
    /// `beyondGroupPosition`, partitions are not cut at the group's stored position.
    public func run(
        _ range: Range, dryRun: Bool, beyondGroupPosition: Bool = false, redecideUnrecorded: Bool = false,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> Report {
        let partitions = try await consumer.partitions(of: topic).filter {
            range.partition == nil || $0.partition == range.partition
        }
        guard !partitions.isEmpty else {
            throw ReplayError("the commands topic \(topic) has no partition \(range.partition.map(String.init) ?? "")")
        }
        let start = try await offsets(for: range.from, partitions: partitions, inclusiveEnd: false)
        var end: [Int32: Int64]?
        if let to = range.to { end = try await offsets(for: to, partitions: partitions, inclusiveEnd: true) }

        var report = Report()
        let stored = try await store.offsets(group: group, topic: topic)
        // Where the workers decided every message against this database: from the first batch
        // they stored to their position. Before it (a database rebuilt after a loss) nothing was
        // decided here, so everything there is replayed.
        var decided: [Int32: Swift.Range<Int64>] = [:]
        if !redecideUnrecorded {
            for (partition, first) in try await store.firstOffsets(group: group, topic: topic) {
                if let next = stored[partition], first < next { decided[partition] = first..<next }
            }
        }
        if !beyondGroupPosition {
            for partition in partitions.map(\.partition) {
                guard let position = stored[partition], position < end?[partition] ?? Int64.max else { continue }
                if end == nil {
                    // Without an end every other partition runs to its high watermark.
                    end = Dictionary(uniqueKeysWithValues: partitions.map { ($0.partition, Int64.max) })
                }
                end?[partition] = position
                // Only a cut that leaves something out is worth reporting (the workers may be
                // caught up, and then nothing is left out).
                if try await consumer.watermarks(topic: topic, partition: partition).high > position {
                    report.stoppedAtGroupPosition[partition] = position
                }
            }
        }
        let unwritten = dryRun ? UnwrittenState() : nil
        report.removedByRetention = try await TopicRange(consumer: consumer, topic: topic).read(from: start, to: end) {
            messages in
            for message in messages {
                let seen = report.ranges[message.partition]
                report.ranges[message.partition] = (seen?.lowerBound ?? message.offset)...message.offset
            }
            let plan = try await processor.plan(
                messages, now: clock.now(), storeOffsets: false, authorizeAtMessageTime: true,
                unwritten: unwritten, decided: decided)
            if !dryRun {
                try await publisher.publish(try await store.applyReturningOutbox(plan.batch))
            }
            report.summary.merge(plan.summary)
            progress(messages.count)
        }
        return report
    }

    /// Start (or, with `inclusiveEnd`, one past the end) offset per partition for a bound.
    private func offsets(
        for bound: Range.Bound, partitions: [TopicPartition], inclusiveEnd: Bool
    ) async throws -> [Int32: Int64] {
        switch bound {
        case .offset(let offset):
            return Dictionary(
                uniqueKeysWithValues: partitions.map { ($0.partition, inclusiveEnd ? offset + 1 : offset) })
        case .time(let time):
            // The first message at or after the time; for an end bound, the first one after it.
            let milliseconds = time.microsecondsSinceEpoch / 1_000 + (inclusiveEnd ? 1 : 0)
            var result: [Int32: Int64] = [:]
            for (partition, offset) in try await consumer.offsets(atOrAfter: milliseconds, in: partitions) {
                // No message at or after the time: nothing from there (start) / everything (end).
                result[partition.partition] = offset ?? Int64.max
            }
            return result
        }
    }
}

/// Why a replay could not run.
public struct ReplayError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension BatchSummary {
    /// Adds another summary's counts to this one.
    mutating func merge(_ other: BatchSummary) {
        applied += other.applied
        duplicates += other.duplicates
        rejected += other.rejected
        deadLettered += other.deadLettered
        skipped += other.skipped
        misrouted += other.misrouted
        for (outcome, count) in other.outcomes { outcomes[outcome, default: 0] += count }
    }
}
