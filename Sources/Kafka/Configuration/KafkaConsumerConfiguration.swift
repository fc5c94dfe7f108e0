/// Configuration of a ``KafkaConsumer``: librdkafka properties with defaults for an
/// at-least-once worker that stores and commits offsets itself, plus the in-memory buffer bounds.
///
/// Defaults (each overridable with ``set(_:_:)``): `partition.assignment.strategy=cooperative-sticky`,
/// `enable.auto.offset.store=false`, `enable.auto.commit=false`, `auto.offset.reset=earliest`,
/// `socket.nagle.disable=true` (see ``KafkaConfiguration/noDelayProperty``),
/// `allow.auto.create.topics=false` (subscribing to, or asking metadata of, a missing topic never
/// creates it, even on a broker with `auto.create.topics.enable=true`).
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    /// The librdkafka properties, defaults included.
    public var kafka: KafkaConfiguration

    /// How many messages may wait in memory for the application before fetching pauses.
    /// Fetching resumes once the buffer drains below half of this.
    public var bufferCapacity: Int = 10_000

    /// How many bytes of keys, values and headers may wait in memory for the application before
    /// fetching pauses, whatever their number; resumes below half, as ``bufferCapacity``.
    public var bufferCapacityBytes: Int = 8 << 20

    /// The most messages one element of ``KafkaConsumer/batches`` holds (and one poll collects).
    public var maxBatchSize: Int = 1_000

    /// A consumer of group `groupID` (nil for direct assignment only) on `bootstrapServers`.
    public init(bootstrapServers: String, groupID: String? = nil) {
        self.init(KafkaConfiguration(bootstrapServers: bootstrapServers), groupID: groupID)
    }

    /// A consumer configuration from shared properties; defaults fill only what `kafka` lacks.
    /// Properties only producers accept (e.g. `linger.ms`, `acks`) are left out.
    public init(_ kafka: KafkaConfiguration, groupID: String? = nil) {
        self.kafka = kafka
        self.kafka.removeAll(KafkaPropertyScope.producerOnly)
        if let groupID { self.kafka.set("group.id", groupID) }
        self.kafka.setDefault("partition.assignment.strategy", "cooperative-sticky")
        self.kafka.setDefault("enable.auto.offset.store", "false")
        self.kafka.setDefault("enable.auto.commit", "false")
        self.kafka.setDefault("auto.offset.reset", "earliest")
        self.kafka.setDefault(KafkaConfiguration.noDelayProperty, "true")
        self.kafka.setDefault("allow.auto.create.topics", "false")
    }

    /// Sets any librdkafka property, e.g. `session.timeout.ms`.
    public mutating func set(_ key: String, _ value: String) {
        kafka.set(key, value)
    }

    /// `group.id`: the consumer group; required by ``KafkaConsumer/subscribe(topics:)`` and commits.
    public var groupID: String? {
        get { kafka["group.id"] }
        set {
            if let newValue { kafka.set("group.id", newValue) } else { kafka.remove("group.id") }
        }
    }

    /// `partition.assignment.strategy`: `cooperative-sticky` (default), `range` or `roundrobin`.
    public var assignmentStrategy: String {
        get { kafka["partition.assignment.strategy"] ?? "cooperative-sticky" }
        set { kafka.set("partition.assignment.strategy", newValue) }
    }
}
