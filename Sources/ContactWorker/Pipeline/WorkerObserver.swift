import Kafka

/// Receives what the worker does, for metrics and logs, without the pipeline knowing about either.
public protocol WorkerObserver: Sendable {
    /// A batch was written and its events and results published.
    func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration)
    /// An operation failed and will be retried after a backoff.
    func retrying(_ operation: RetriedOperation, after error: any Error)
    /// A batch was refused because another worker had taken over these partitions (their owner
    /// epoch moved on); the worker dropped them and published nothing of the batch.
    func fenced(_ partitions: [TopicPartition])
    /// The worker read its topics' metadata (at start, then periodically): which are missing
    /// and which mismatches hold.
    func topicsChecked(_ check: TopicCheck)
}

extension WorkerObserver {
    /// Observers that do not count refused batches ignore them.
    public func fenced(_ partitions: [TopicPartition]) {}
    /// Observers that do not report topic checks ignore them.
    public func topicsChecked(_ check: TopicCheck) {}
}

/// The observer that observes nothing.
public struct NoWorkerObserver: WorkerObserver {
    public init() {}
    public func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration) {}
    public func retrying(_ operation: RetriedOperation, after error: any Error) {}
}
