import Kafka

/// Forwards every observation to several observers, in order (the metrics and, for `dev`, the
/// printed summary).
public struct CombinedWorkerObserver: WorkerObserver {
    /// The observers, called in this order.
    public let observers: [any WorkerObserver]

    /// Combines `observers`.
    public init(_ observers: [any WorkerObserver]) {
        self.observers = observers
    }

    public func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration) {
        for observer in observers { observer.batchProcessed(summary, messages: messages, duration: duration) }
    }

    public func retrying(_ operation: RetriedOperation, after error: any Error) {
        for observer in observers { observer.retrying(operation, after: error) }
    }

    public func fenced(_ partitions: [TopicPartition]) {
        for observer in observers { observer.fenced(partitions) }
    }

    public func topicsChecked(_ check: TopicCheck) {
        for observer in observers { observer.topicsChecked(check) }
    }
}
