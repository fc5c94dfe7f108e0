/// The next offset to consume for one partition of one topic in one consumer group.
///
/// Stored in the same transaction as the state it covers, so after a crash the worker resumes
/// exactly after the last applied command: no command is applied twice or skipped.
public struct ConsumerOffset: Sendable, Hashable {
    /// The Kafka consumer group id.
    public var group: String
    /// The topic name.
    public var topic: String
    /// The partition number.
    public var partition: Int32
    /// The offset of the next message to consume (last processed offset + 1).
    public var nextOffset: Int64
    /// The first offset of the batch this record comes from. The store keeps the one from the
    /// partition's first record only: from there on the group's workers decided every message
    /// in this database (`replay` relies on it), while what lies before was decided against
    /// another database, or never.
    public var firstOffset: Int64?
    /// The owner epoch the batch was taken under (``PartitionClaim/epoch``). When set, the batch's
    /// transaction fails with ``StoreError/fenced(database:topic:partitions:)`` unless it is still
    /// the partition's current epoch: a worker whose partition was taken over cannot write its
    /// batch after the new owner started. `nil` writes without that check (tools and tests that
    /// own no partition).
    public var ownerEpoch: Int64?

    /// Creates an offset record. The store only moves a stored offset forward (a smaller one is
    /// ignored), so a late batch of a worker that lost the partition cannot rewind its new owner.
    public init(
        group: String, topic: String, partition: Int32, nextOffset: Int64, firstOffset: Int64? = nil,
        ownerEpoch: Int64? = nil
    ) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.nextOffset = nextOffset
        self.firstOffset = firstOffset
        self.ownerEpoch = ownerEpoch
    }
}
