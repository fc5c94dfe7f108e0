/// What a worker learns when it takes over a partition (``ContactStore/claimPartitions(group:topic:partitions:)``).
///
/// Taking a partition raises its owner epoch in the same transaction that reads where it
/// resumes. Every batch the new owner writes names that epoch (``ConsumerOffset/ownerEpoch``), and
/// a batch of an earlier owner, still naming an older epoch, is refused whole. This is the same
/// fencing Kafka's transactional producers get from their producer epoch, kept in the database
/// that holds the offsets.
public struct PartitionClaim: Sendable, Hashable {
    /// The partition's owner epoch from now on: one more than any owner before had.
    public var epoch: Int64
    /// Where the partition resumes: the stored next offset, or `nil` when no batch of the
    /// partition was ever stored (the consumer then starts from Kafka's committed offset).
    public var nextOffset: Int64?

    /// Creates a claim.
    public init(epoch: Int64, nextOffset: Int64?) {
        self.epoch = epoch
        self.nextOffset = nextOffset
    }
}
