/// What the brokers reported about some topics (``KafkaConsumer/describeTopics(_:timeout:)``):
/// the brokers that make up the cluster and, per topic asked about, whether it exists and its
/// partition count.
public struct KafkaClusterMetadata: Sendable, Hashable {
    /// The cluster's brokers as they advertise themselves, `host:port`, in broker id order.
    public var brokers: [String]
    /// One description per topic asked about, in the order asked.
    public var topics: [KafkaTopicDescription]

    /// Creates a description (the client builds it from a Metadata response).
    public init(brokers: [String], topics: [KafkaTopicDescription]) {
        self.brokers = brokers
        self.topics = topics
    }

    /// The description of `name`, if it was asked about.
    public subscript(topic name: String) -> KafkaTopicDescription? {
        topics.first { $0.name == name }
    }
}

/// One topic as the brokers describe it.
public struct KafkaTopicDescription: Sendable, Hashable {
    /// The topic's name.
    public var name: String
    /// Its partition count; 0 when the broker reported an error for it.
    public var partitionCount: Int
    /// The broker's error for this topic, nil when it described it: ``KafkaErrorCode/unknownTopicOrPartition``
    /// for a topic that does not exist, others (authorization, leader not available) for a topic
    /// that cannot be used now.
    public var error: KafkaErrorCode?

    /// Creates a description.
    public init(name: String, partitionCount: Int, error: KafkaErrorCode? = nil) {
        self.name = name
        self.partitionCount = partitionCount
        self.error = error
    }

    /// Whether the brokers said the topic does not exist (rather than failing to describe it).
    public var doesNotExist: Bool {
        error == .unknownTopicOrPartition || error == .unknownTopicLocal
    }
}
