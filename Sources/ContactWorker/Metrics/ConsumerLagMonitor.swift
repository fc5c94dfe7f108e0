import ContactStore
import Kafka
import Logging
import ServiceLifecycle

/// Samples, every ``Configuration/interval``, the consumer lag of each commands-topic partition
/// the worker holds and the outbox backlog, into ``WorkerMetrics``.
///
/// Lag is the partition's high watermark minus the offset after the last message this process
/// processed there (or, before it processed any, the offset the database stored for the group,
/// which is where the partition resumes). A partition revoked and assigned back between two
/// samples keeps its old position until its next batch. Watermarks are asked of the leaders
/// through the worker's producer: its connections carry no long-polling fetches, and the worker
/// runs no Kafka client of its own for this (one more would mean its threads, its memory and a
/// connection to each broker, for every worker of a fleet). The outbox backlog is the number of
/// pending outbox rows.
public struct ConsumerLagMonitor: Service {
    /// What to sample and how often.
    public struct Configuration: Sendable {
        /// The commands topic.
        public var topic: String
        /// The worker's consumer group (for the stored offsets).
        public var group: String
        /// Time between samples.
        public var interval: Duration
        /// How long a watermark query may take.
        public var queryTimeout: Duration

        /// Creates a configuration.
        public init(
            topic: String, group: String, interval: Duration = .seconds(5),
            queryTimeout: Duration = .seconds(2)
        ) {
            self.topic = topic
            self.group = group
            self.interval = interval
            self.queryTimeout = queryTimeout
        }
    }

    private let configuration: Configuration
    private let producer: KafkaProducer
    private let metrics: WorkerMetrics
    private let store: any ContactStore
    private let assignment: @Sendable () -> [TopicPartition]
    private let logger: Logger

    /// - Parameters:
    ///   - producer: the worker's producer, which asks the partitions' leaders for their watermarks.
    ///   - assignment: the partitions the worker holds now (``ContactWorkerService/assignedPartitions``).
    public init(
        configuration: Configuration, producer: KafkaProducer, metrics: WorkerMetrics, store: any ContactStore,
        assignment: @escaping @Sendable () -> [TopicPartition], logger: Logger
    ) {
        self.configuration = configuration
        self.producer = producer
        self.metrics = metrics
        self.store = store
        self.assignment = assignment
        self.logger = logger
    }

    /// Samples until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await sample()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.interval) }
            } catch {
                break
            }
        }
    }

    private func sample() async {
        let partitions = assignment().filter { $0.topic == configuration.topic }
        var stored: [Int32: Int64]?
        var lags: [TopicPartition: Int64] = [:]
        for partition in partitions {
            do {
                let marks = try await producer.watermarks(
                    topic: partition.topic, partition: partition.partition, timeout: configuration.queryTimeout)
                let position: Int64
                if let processed = metrics.nextOffset(of: partition) {
                    position = processed
                } else {
                    // Nothing processed here yet: the partition resumes where the database says
                    // (or, never processed by the group, at its beginning). Remembered, so a
                    // database outage later does not hide the lag.
                    if stored == nil {
                        stored = try await store.offsets(group: configuration.group, topic: configuration.topic)
                    }
                    position = stored?[partition.partition] ?? marks.low
                    metrics.seedNextOffset(position, of: partition)
                }
                lags[partition] = max(0, marks.high - position)
            } catch {
                logger.debug("consumer lag not sampled", metadata: ["partition": "\(partition)", "error": "\(error)"])
            }
        }
        metrics.setLag(lags, assigned: Set(partitions))
        do {
            metrics.setOutboxBacklog(try await store.pendingOutboxCount())
        } catch {
            logger.debug("outbox backlog not sampled", metadata: ["error": "\(error)"])
        }
    }
}
