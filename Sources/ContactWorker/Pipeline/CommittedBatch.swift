import ContactStore
import Kafka

/// A batch whose outcomes are durable: what is left is publishing its outbox rows and
/// storing its offsets for the Kafka commit.
struct CommittedBatch: Sendable {
    /// The batch's outbox messages as planned, without their sequences (see ``sequences``).
    var rows: [OutboxMessage]
    /// The sequence the store gave each of ``rows``, in the same order.
    var sequences: [Int64]
    var offsets: [TopicPartition: Int64]
    var summary: BatchSummary
    /// Logged once the batch is published.
    var decisions: [CommandDecision]
    var messages: [KafkaMessage]
    var started: ContinuousClock.Instant
    /// When planning and the store transaction finished (for the debug log's split of the batch's time).
    var planned: ContinuousClock.Instant
    var committed: ContinuousClock.Instant
}

enum CommitOutcome: Sendable {
    case committed(CommittedBatch)
    /// Every partition of the batch was revoked while it waited to be retried.
    case abandoned
    /// A failure retrying cannot fix (not an outage): the batch must be split.
    case unprocessable(messages: [KafkaMessage], error: any Error)
}
