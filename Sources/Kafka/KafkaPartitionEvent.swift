/// Something the consumer learned about a partition between messages, reported only by a
/// consumer configured with `enable.partition.eof=true` (a bounded read such as `replay`).
///
/// Events are handed out in order with the messages: an event becomes visible through
/// ``KafkaConsumer/takePartitionEvents()`` once every message read before it has been handed out
/// by ``KafkaConsumer/batches``, so "the end was reached" never overtakes a message still buffered.
public struct KafkaPartitionEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: Sendable, Equatable {
        /// Fetching reached the end of the partition; `nextOffset` is the offset the next record
        /// will get (the high watermark then). Offsets below it that were never handed out were
        /// not records an application sees: transaction markers, aborted or compacted records.
        case end(nextOffset: Int64)
        /// Reading the partition failed (not authorised, offset out of range with
        /// `auto.offset.reset=error`, topic deleted, …).
        case failed(KafkaError)
    }

    /// The partition the event is about.
    public var topicPartition: TopicPartition
    /// What happened.
    public var kind: Kind

    /// Creates an event.
    public init(_ topicPartition: TopicPartition, _ kind: Kind) {
        self.topicPartition = topicPartition
        self.kind = kind
    }
}
