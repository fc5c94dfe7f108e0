import Kafka

/// How to reach the Kafka cluster and which topics to use: the part of ``WorkerSettings`` a
/// client that only produces or reads (`send`) needs.
public struct KafkaConnectionSettings: Sendable, Equatable {
    /// `KAFKA_BROKERS`: the bootstrap servers.
    public var brokers: String
    /// The four topics.
    public var topics: WorkerTopics
    /// librdkafka properties passed through (`KAFKA_*`, `--kafka-property`), already checked.
    public var properties: [String: String]

    public init(brokers: String, topics: WorkerTopics, properties: [String: String] = [:]) {
        self.brokers = brokers
        self.topics = topics
        self.properties = properties
    }

    /// A client configuration for these brokers with these properties.
    public var kafka: KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: brokers)
        for (key, value) in properties { configuration.set(key, value) }
        return configuration
    }
}
