/// The application's say in consumer-group rebalances.
///
/// The consumer calls these hooks from its rebalance callback and holds the rebalance until they
/// return, so a partition is never released before the application has finished with it, and
/// never fetched before the application has chosen where to start.
public protocol KafkaRebalanceListener: Sendable {
    /// Called before fetching starts for newly assigned partitions.
    ///
    /// - Returns: start offsets for some or all of them (the worker reads them from its
    ///   database); a missing partition starts from the group's committed offset.
    func partitionsAssigned(_ partitions: [TopicPartition]) async -> [TopicPartition: Int64]

    /// Called before `partitions` are released. Finish in-flight work for them and store their
    /// offsets (``KafkaConsumer/storeOffsets(_:)``) before returning; the consumer then commits
    /// the stored offsets synchronously and only then releases the partitions.
    ///
    /// Buffered messages of these partitions that were not yet handed out are dropped first; the
    /// next owner re-reads them from the committed offset. `lost` means the group already gave
    /// the partitions to someone else (e.g. after a session timeout): nothing is committed then.
    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool) async
}

extension KafkaRebalanceListener {
    /// By default every partition starts from its committed offset.
    public func partitionsAssigned(_ partitions: [TopicPartition]) async -> [TopicPartition: Int64] { [:] }

    /// By default nothing needs finishing; stored offsets are still committed before release.
    public func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool) async {}
}
