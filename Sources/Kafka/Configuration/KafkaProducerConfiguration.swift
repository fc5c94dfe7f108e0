/// Configuration of a ``KafkaProducer``: librdkafka properties with safe producer defaults.
///
/// Defaults (each overridable with ``set(_:_:)``): `enable.idempotence=true` and `acks=all`, so a
/// retried send never duplicates or reorders messages; `linger.ms=5` for batching; a large
/// `queue.buffering.max.messages` so bursts rarely meet a full queue; `socket.nagle.disable=true`
/// (see ``KafkaConfiguration/noDelayProperty``).
public struct KafkaProducerConfiguration: Sendable, Hashable {
    /// The librdkafka properties, defaults included.
    public var kafka: KafkaConfiguration

    /// A producer configuration for `bootstrapServers` with the defaults above.
    public init(bootstrapServers: String) {
        self.init(KafkaConfiguration(bootstrapServers: bootstrapServers))
    }

    /// A producer configuration from shared properties; defaults fill only what `kafka` lacks.
    /// Properties only consumers accept (e.g. `fetch.wait.max.ms`, `group.id`) are left out.
    public init(_ kafka: KafkaConfiguration) {
        self.kafka = kafka
        self.kafka.removeAll(KafkaPropertyScope.consumerOnly)
        self.kafka.setDefault("enable.idempotence", "true")
        self.kafka.setDefault("acks", "all")
        self.kafka.setDefault("linger.ms", "5")
        self.kafka.setDefault("queue.buffering.max.messages", "1000000")
        self.kafka.setDefault(KafkaConfiguration.noDelayProperty, "true")
    }

    /// Sets any librdkafka property, e.g. `compression.type`.
    public mutating func set(_ key: String, _ value: String) {
        kafka.set(key, value)
    }

    /// `message.timeout.ms`: how long a message may wait for delivery (including retries while a
    /// broker is down) before ``KafkaProducer/send(_:)`` throws.
    public var messageTimeoutMilliseconds: Int? {
        get { kafka["message.timeout.ms"].flatMap { Int($0) } }
        set {
            if let newValue {
                kafka.set("message.timeout.ms", String(newValue))
            } else {
                kafka.remove("message.timeout.ms")
            }
        }
    }
}
