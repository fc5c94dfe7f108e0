import ContactDomain

extension ContactWorkerService {
    /// Settings of the pipeline itself (Kafka and database settings live with their clients).
    public struct Configuration: Sendable {
        public var topics: WorkerTopics
        public var group: String
        public var eventSource: String
        public var initialBackoff: Duration
        public var maximumBackoff: Duration
        /// How often stored offsets are committed to Kafka (the database has them already).
        public var commitInterval: Duration
        /// The smallest batch that is planned while the batch before it is still being written,
        /// and after which the next batch is taken before this one is written. Under light load
        /// waiting lets more messages join the next batch (fewer, larger transactions: lower
        /// latency); under heavy load (full batches) planning ahead keeps the database busy
        /// (docs/decisions/0008-plan-ahead.md).
        public var planAheadMinimum: Int
        /// ``planAheadMinimum``'s default: a quarter of a default batch (docs/decisions/0008-plan-ahead.md).
        public static let defaultPlanAheadMinimum = 250
        /// How long delivered outbox rows may wait for the next batch's transaction to mark them
        /// published before they get a transaction of their own (when traffic pauses).
        public var markPublishedInterval: Duration
        /// How long a graceful shutdown waits for publishing to finish. Past it, deliveries still
        /// waiting for the broker are given up (the rows stay in the outbox and the next start
        /// publishes them), so a shutdown during a broker outage still ends in time (docs/contract.md §9:
        /// under 30 s).
        public var shutdownPublishGrace: Duration
        /// Apply pending migrations before anything else (`DATABASE_MIGRATE`), waiting with
        /// capped backoff while the database is unreachable. It runs inside the service, so the
        /// HTTP side already answers meanwhile: liveness 200, readiness 503 with the reason.
        public var migrateStore: Bool
        /// How often the four topics are read from cluster metadata: at start until all exist
        /// (no work is taken before), then to report a topic gone or a mismatch (``TopicWatch``).
        public var topicCheckInterval: Duration

        public init(
            topics: WorkerTopics = WorkerTopics(),
            group: String = "contact-worker",
            eventSource: String = ContactEvent.defaultSource,
            initialBackoff: Duration = .milliseconds(100),
            maximumBackoff: Duration = .seconds(5),
            commitInterval: Duration = .seconds(1),
            markPublishedInterval: Duration = .milliseconds(100),
            planAheadMinimum: Int = defaultPlanAheadMinimum,
            shutdownPublishGrace: Duration = .seconds(10),
            migrateStore: Bool = false,
            topicCheckInterval: Duration = .seconds(5)
        ) {
            self.topics = topics
            self.group = group
            self.eventSource = eventSource
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.commitInterval = commitInterval
            self.markPublishedInterval = markPublishedInterval
            self.planAheadMinimum = planAheadMinimum
            self.shutdownPublishGrace = shutdownPublishGrace
            self.migrateStore = migrateStore
            self.topicCheckInterval = topicCheckInterval
        }
    }
}
