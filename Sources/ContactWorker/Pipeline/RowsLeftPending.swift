import Kafka

/// The commands-topic partitions for which a batch left outbox rows pending behind it: its
/// publishing was abandoned (a revoke, the shutdown grace), or its commit's outcome is unknown
/// (a connection lost during COMMIT may still have committed).
///
/// Until those rows are out, no later batch of the same partition may publish its own rows: they
/// would reach Kafka before the earlier rows of the same contacts. A later batch therefore sends
/// everything pending for its partitions in outbox order (a drain) when it owns them, and leaves
/// its rows pending too when it does not: the partition's next owner drains them all on
/// assignment, in order.
///
/// Kept per partition, so a mark on one partition never holds back another. A mark is cleared by
/// the first drain of its partition while owned; a partition revoked for good keeps its mark, but
/// only batches of that partition read it: those in flight during the revoke (which then leave
/// their rows too), and after a new assignment the first batch, whose drain clears it.
struct RowsLeftPending: Sendable {
    /// Each marked partition, with the count of marks when it was last marked.
    private var marked: [TopicPartition: Int] = [:]
    private var marks = 0

    /// Records that rows of `partitions` were left pending.
    mutating func mark(_ partitions: some Sequence<TopicPartition>) {
        marks += 1
        for partition in partitions { marked[partition] = marks }
    }

    /// Which of `partitions` have rows left pending, and the mark count to hand back to
    /// ``published(_:through:)`` once they are out.
    func leftBehind(among partitions: Set<TopicPartition>) -> (partitions: Set<TopicPartition>, through: Int) {
        (partitions.filter { marked[$0] != nil }, marks)
    }

    /// Clears `partitions`, whose pending rows were all published by a drain that started when
    /// the mark count was `through`. A partition marked again since keeps its mark: rows left
    /// behind while the drain ran may have come after the point it read up to.
    mutating func published(_ partitions: some Sequence<TopicPartition>, through: Int) {
        for partition in partitions where (marked[partition] ?? .max) <= through {
            marked[partition] = nil
        }
    }
}
