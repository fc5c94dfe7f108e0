import Kafka

/// Receives what the worker does, for metrics and logs, without the pipeline knowing about either.
public protocol WorkerObserver: Sendable {
    /// A batch was written and its events and results published.
    func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration)
    /// An operation failed and will be retried after a backoff.
    func retrying(_ operation: RetriedOperation, after error: any Error)
}

/// The observer that observes nothing.
public struct NoWorkerObserver: WorkerObserver {
    public init() {}
    public func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration) {}
    public func retrying(_ operation: RetriedOperation, after error: any Error) {}
}
