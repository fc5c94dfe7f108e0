/// One partition of one topic: the unit of assignment, ordering, pausing and offsets.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number within the topic.
    public var partition: Int32

    /// Names partition `partition` of `topic`.
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// Equal when both the partition and the topic are; the partition is compared first, since
    /// a process's partitions mostly share one topic.
    public static func == (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.partition == rhs.partition && lhs.topic == rhs.topic
    }

    /// Hashes the partition and the topic name's length, not the name's bytes.
    ///
    /// Dictionaries keyed by partition are looked up for every message of a batch, and hashing a
    /// topic name costs several times as much as the rest of the lookup. Kafka topic names are
    /// ASCII (letters, digits, `.`, `_` and `-`), so names that `String` holds equal have the same
    /// bytes and length, and equal values hash alike. Partitions of topics whose names have one
    /// length share buckets, which costs little with the handful of topics a worker holds.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(partition)
        hasher.combine(topic.utf8.count)
    }

    /// Orders by topic, then partition, so logs and tests list partitions predictably.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    /// `topic[partition]`.
    public var description: String { "\(topic)[\(partition)]" }
}
