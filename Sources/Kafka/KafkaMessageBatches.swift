/// The messages a ``KafkaConsumer`` reads, as an async sequence of batches.
///
/// Each element holds up to `maxBatchSize` messages that were already available, in order per
/// partition; `next()` waits when none are. Memory stays bounded by the consumer's buffer
/// capacity: fetching pauses while the application is behind. The sequence ends when the
/// consumer closes, or for the iterating task when it is cancelled. Iterate from one task at a time.
public struct KafkaMessageBatches: AsyncSequence, Sendable {
    /// One batch of messages.
    public typealias Element = [KafkaMessage]
    /// Iteration never throws; errors are reported on ``KafkaConsumer/errors``.
    public typealias Failure = Never

    let engine: RDKafkaConsumerEngine

    /// Iterates batches; see ``KafkaMessageBatches``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let engine: RDKafkaConsumerEngine

        /// The next batch, waiting for one when none is buffered; nil once the consumer closed.
        public mutating func next() async -> [KafkaMessage]? {
            await engine.nextBatch()
        }
    }

    /// Starts iterating.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(engine: engine)
    }
}
