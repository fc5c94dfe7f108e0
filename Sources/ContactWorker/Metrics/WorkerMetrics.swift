import CoreMetrics
import Foundation
import Kafka
import Prometheus
import Synchronization

/// The worker's metrics, recorded through swift-metrics into a Prometheus registry this object
/// owns (no global bootstrap, so several workers in one process, as in the tests, stay apart).
///
/// It is the pipeline's ``WorkerObserver``: every processed batch and every retry lands here.
/// ``ConsumerLagMonitor`` sets the lag and outbox gauges. `GET /metrics` sets the readiness gauge
/// from the readiness check and then serves ``exposition()``.
///
/// | metric | type | labels |
/// |---|---|---|
/// | `contact_worker_commands_consumed_total` | counter | |
/// | `contact_worker_commands_processed_total` | counter | `command_type`, `status` |
/// | `contact_worker_command_outcomes_total` | counter | `outcome` (`applied`, `duplicate`, `rejected`, `dead_lettered`) |
/// | `contact_worker_dead_letters_total` | counter | |
/// | `contact_worker_misrouted_commands_total` | counter | |
/// | `contact_worker_fenced_batches_total` | counter | |
/// | `contact_worker_retries_total` | counter | `operation` (`batch`, `publish`, `dead_letter`, `read_offsets`, `migrate`) |
/// | `contact_worker_batch_processing_seconds` | histogram | |
/// | `contact_worker_command_latency_seconds` | histogram | |
/// | `contact_worker_batch_size` | histogram | |
/// | `contact_worker_outbox_backlog` | gauge | |
/// | `contact_worker_consumer_lag` | gauge | `topic`, `partition` |
/// | `contact_worker_consumer_lag_sampled_timestamp_seconds` | gauge | |
/// | `contact_worker_ready` | gauge | |
/// | `contact_worker_topics_unusable` | gauge | |
/// | `contact_worker_topic_mismatches` | gauge | `kind` (`events_partitions`, `results_partitions`, `dead_letter_retention`) |
/// | `contact_worker_jwks_reloads_total`, `contact_worker_jwks_reload_failures_total` | counter | |
/// | `contact_worker_jwks_keys` | gauge | |
public final class WorkerMetrics: WorkerObserver, Sendable {
    /// Metric names, in one place for docs/operations.md (Metrics) and the tests.
    public enum Name {
        public static let commandsConsumed = "contact_worker_commands_consumed_total"
        public static let commandsProcessed = "contact_worker_commands_processed_total"
        public static let commandOutcomes = "contact_worker_command_outcomes_total"
        public static let deadLetters = "contact_worker_dead_letters_total"
        /// Commands whose Kafka key is not their contact_id (see ``BatchSummary/misrouted``).
        public static let misrouted = "contact_worker_misrouted_commands_total"
        /// Batches refused because another worker had taken over their partitions.
        public static let fencedBatches = "contact_worker_fenced_batches_total"
        public static let retries = "contact_worker_retries_total"
        public static let batchDuration = "contact_worker_batch_processing_seconds"
        /// Per message: from its Kafka timestamp (when it was produced) to its result and events
        /// being acknowledged by Kafka, so it includes the time spent waiting in the topic.
        public static let commandLatency = "contact_worker_command_latency_seconds"
        public static let batchSize = "contact_worker_batch_size"
        public static let outboxBacklog = "contact_worker_outbox_backlog"
        public static let consumerLag = "contact_worker_consumer_lag"
        /// When the lag of every assigned partition was last sampled (Unix time): a failing
        /// sampler keeps the last lag values, so alert on this growing old as well.
        public static let lagSampled = "contact_worker_consumer_lag_sampled_timestamp_seconds"
        /// 1 when `GET /health/ready` would answer 200, else 0; set at each scrape of `/metrics`.
        public static let ready = "contact_worker_ready"
    }

    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    private let consumed: CoreMetrics.Counter
    private let deadLetters: CoreMetrics.Counter
    private let misrouted: CoreMetrics.Counter
    private let fencedBatches: CoreMetrics.Counter
    private let retries: [RetriedOperation: CoreMetrics.Counter]
    private let batchDuration: CoreMetrics.Timer
    private let commandLatency: CoreMetrics.Timer
    private let batchSize: CoreMetrics.Recorder
    private let outboxBacklog: CoreMetrics.Gauge
    private let lagSampled: CoreMetrics.Gauge
    private let ready: CoreMetrics.Gauge

    private struct State {
        var processed: [BatchSummary.Outcome: CoreMetrics.Counter] = [:]
        var outcomes: [String: CoreMetrics.Counter] = [:]
        var lag: [TopicPartition: CoreMetrics.Gauge] = [:]
        /// The offset after the last message processed, per partition.
        var nextOffsets: [TopicPartition: Int64] = [:]
    }

    private let state = Mutex(State())

    /// Creates the metrics in a new registry (or `registry`).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Name.batchDuration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ]
        factory.durationHistogramBuckets[Name.commandLatency] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(300),
        ]
        factory.valueHistogramBuckets[Name.batchSize] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]
        self.factory = factory
        consumed = CoreMetrics.Counter(label: Name.commandsConsumed, factory: factory)
        deadLetters = CoreMetrics.Counter(label: Name.deadLetters, factory: factory)
        misrouted = CoreMetrics.Counter(label: Name.misrouted, factory: factory)
        fencedBatches = CoreMetrics.Counter(label: Name.fencedBatches, factory: factory)
        retries = Dictionary(
            uniqueKeysWithValues: RetriedOperation.allCases.map { operation in
                (
                    operation,
                    CoreMetrics.Counter(
                        label: Name.retries, dimensions: [("operation", operation.rawValue)], factory: factory)
                )
            })
        batchDuration = CoreMetrics.Timer(label: Name.batchDuration, factory: factory)
        commandLatency = CoreMetrics.Timer(label: Name.commandLatency, factory: factory)
        batchSize = CoreMetrics.Recorder(label: Name.batchSize, aggregate: true, factory: factory)
        outboxBacklog = CoreMetrics.Gauge(label: Name.outboxBacklog, factory: factory)
        lagSampled = CoreMetrics.Gauge(label: Name.lagSampled, factory: factory)
        ready = CoreMetrics.Gauge(label: Name.ready, factory: factory)
        state.withLock { state in
            for outcome in ["applied", "duplicate", "rejected", "dead_lettered"] {
                state.outcomes[outcome] = CoreMetrics.Counter(
                    label: Name.commandOutcomes, dimensions: [("outcome", outcome)], factory: factory)
            }
        }
        registerTokenKeyMetrics()
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    // MARK: - WorkerObserver

    /// Counts a batch refused by the partitions' owner epoch.
    public func fenced(_ partitions: [TopicPartition]) {
        fencedBatches.increment()
    }

    /// Counts the batch's messages and outcomes, and records its size and duration.
    public func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration) {
        consumed.increment(by: messages.count)
        deadLetters.increment(by: summary.deadLettered)
        misrouted.increment(by: summary.misrouted)
        batchSize.record(messages.count)
        batchDuration.recordNanoseconds(Self.nanoseconds(duration))
        // Wall clock against the producer's (or broker's) clock: skew can make it negative.
        let nowMilliseconds = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
        for message in messages {
            guard let produced = message.timestamp?.milliseconds else { continue }
            commandLatency.recordNanoseconds(max(0, nowMilliseconds - produced) * 1_000_000)
        }
        let factory = self.factory
        state.withLock { state in
            for (outcome, count) in summary.outcomes where count > 0 {
                let counter =
                    state.processed[outcome]
                    ?? CoreMetrics.Counter(
                        label: Name.commandsProcessed,
                        dimensions: [("command_type", outcome.commandType), ("status", String(outcome.status))],
                        factory: factory)
                state.processed[outcome] = counter
                counter.increment(by: count)
            }
            for (outcome, count) in [
                ("applied", summary.applied), ("duplicate", summary.duplicates), ("rejected", summary.rejected),
                ("dead_lettered", summary.deadLettered),
            ] where count > 0 {
                state.outcomes[outcome]?.increment(by: count)
            }
            for message in messages {
                let next = message.offset + 1
                let partition = message.topicPartition
                if state.nextOffsets[partition].map({ $0 < next }) ?? true {
                    state.nextOffsets[partition] = next
                }
            }
        }
    }

    /// Counts a retry of `operation`.
    public func retrying(_ operation: RetriedOperation, after error: any Error) {
        retries[operation]?.increment()
    }

    // MARK: - Gauges set by the lag monitor

    /// The offset after the last message this process processed on `partition`, if any.
    func nextOffset(of partition: TopicPartition) -> Int64? {
        state.withLock { $0.nextOffsets[partition] }
    }

    /// Records where `partition` resumes when this process has not processed any of it yet.
    func seedNextOffset(_ offset: Int64, of partition: TopicPartition) {
        state.withLock { state in
            if state.nextOffsets[partition] == nil { state.nextOffsets[partition] = offset }
        }
    }

    /// Sets the lag of the partitions in `lags` and removes the series of every partition not in
    /// `assigned` (revoked ones must not report a stale lag; an assigned one whose sample failed
    /// keeps its last value).
    func setLag(_ lags: [TopicPartition: Int64], assigned: Set<TopicPartition>) {
        if assigned.isSubset(of: lags.keys) { lagSampled.record(Date().timeIntervalSince1970.rounded()) }
        let factory = self.factory
        let removed: [CoreMetrics.Gauge] = state.withLock { state in
            var removed: [CoreMetrics.Gauge] = []
            for (partition, gauge) in state.lag where !assigned.contains(partition) {
                removed.append(gauge)
                state.lag[partition] = nil
            }
            for partition in state.nextOffsets.keys where !assigned.contains(partition) {
                state.nextOffsets[partition] = nil
            }
            for (partition, lag) in lags {
                let gauge =
                    state.lag[partition]
                    ?? CoreMetrics.Gauge(
                        label: Name.consumerLag,
                        dimensions: [("topic", partition.topic), ("partition", String(partition.partition))],
                        factory: factory)
                state.lag[partition] = gauge
                gauge.record(lag)
            }
            return removed
        }
        for gauge in removed { gauge.destroy() }
    }

    /// Sets the number of outbox rows waiting to be published.
    func setOutboxBacklog(_ rows: Int) {
        outboxBacklog.record(rows)
    }

    // MARK: - Readiness

    /// Sets the readiness gauge: 1 when ready, 0 when not.
    func setReady(_ isReady: Bool) {
        ready.record(isReady ? 1 : 0)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

// MARK: - Topic checks

extension WorkerMetrics.Name {
    /// How many of the four topics were missing or unusable at the last reading of their metadata.
    public static let topicsUnusable = "contact_worker_topics_unusable"
    /// Per ``TopicCheck/MismatchKind``: 1 while the last reading that could decide it found the
    /// mismatch, else 0 (a kind never decided, such as retention on a broker without
    /// DescribeConfigs, has no series).
    public static let topicMismatches = "contact_worker_topic_mismatches"
}

extension WorkerMetrics {
    /// Records a reading of the topics: the unusable count, and each decided mismatch kind.
    public func topicsChecked(_ check: TopicCheck) {
        CoreMetrics.Gauge(label: Name.topicsUnusable, factory: factory).record(check.unusableTopics)
        let found = Set(check.mismatches.map(\.kind))
        for kind in check.checkedKinds {
            CoreMetrics.Gauge(label: Name.topicMismatches, dimensions: [("kind", kind.rawValue)], factory: factory)
                .record(found.contains(kind) ? 1 : 0)
        }
    }
}

// MARK: - Token keys (JWT_JWKS_FILE reloads, ``TokenKeyReloader``)

extension WorkerMetrics.Name {
    /// JWKS files that were read again and put in force (polls that found a change, SIGHUPs).
    public static let tokenKeyReloads = "contact_worker_jwks_reloads_total"
    /// JWKS reads or parses that failed: the keys in force stayed. Alert on any increase.
    public static let tokenKeyReloadFailures = "contact_worker_jwks_reload_failures_total"
    /// The keys tokens verify with now (JWKS keys in use, HS256 secrets, or 1 for a public key).
    public static let tokenKeys = "contact_worker_jwks_keys"
}

extension WorkerMetrics {
    /// Registers the token-key series at 0, so they are scraped (and alerts on them evaluate) before
    /// the first reload. The factory hands back the same series for the same name afterwards.
    fileprivate func registerTokenKeyMetrics() {
        CoreMetrics.Counter(label: Name.tokenKeyReloads, factory: factory).increment(by: 0)
        CoreMetrics.Counter(label: Name.tokenKeyReloadFailures, factory: factory).increment(by: 0)
        CoreMetrics.Gauge(label: Name.tokenKeys, factory: factory).record(0)
    }

    /// Sets the number of keys in force (at start).
    public func tokenKeysLoaded(_ count: Int) {
        CoreMetrics.Gauge(label: Name.tokenKeys, factory: factory).record(count)
    }

    /// Counts a reload that put `keyCount` keys in force.
    public func tokenKeysReloaded(keyCount: Int) {
        CoreMetrics.Counter(label: Name.tokenKeyReloads, factory: factory).increment()
        tokenKeysLoaded(keyCount)
    }

    /// Counts a reload that failed (the keys in force stayed).
    public func tokenKeyReloadFailed() {
        CoreMetrics.Counter(label: Name.tokenKeyReloadFailures, factory: factory).increment()
    }
}
