import ContactStore
import Kafka

/// Dead-letter isolation: what the pipeline does with a batch that failed for a reason retrying
/// cannot fix. Every message is tried again on its own, and only one that fails alone goes to
/// the dead-letter topic, so one bad command never stalls its partition or takes others with it.
extension BatchPipeline {
    /// A batch failed for a reason retrying cannot fix: plan and write each of its messages again
    /// on its own, and dead-letter a message only when it failed on its own after that, so its
    /// partition moves on. A one-message batch is planned again too: the failure may be another
    /// writer's record of the same command (a unique violation), and planned again the command is
    /// a duplicate that gets its stored result.
    ///
    /// - Parameter alone: `messages` is one message that already failed when planned and written
    ///   on its own.
    func isolateFailure(_ messages: [KafkaMessage], error: any Error, alone: Bool = false) async {
        guard alone, messages.count == 1, let message = messages.first else {
            for message in messages {
                switch await commit([message]).outcome {
                case .committed(let batch): await publish(batch)
                case .abandoned: continue
                case .unprocessable(let messages, let error): await isolateFailure(messages, error: error, alone: true)
                }
            }
            return
        }
        logger.error(
            "message cannot be processed; sending it to the dead-letter topic",
            metadata: [
                "error": "\(error)", "topic": "\(message.topic)", "partition": "\(message.partition)",
                "offset": "\(message.offset)",
            ])
        var batch = StoreBatch()
        batch.outbox = [processor.deadLetter(message, reason: "processing failed: \(error)")]
        batch.offsets = [
            ConsumerOffset(
                group: configuration.group, topic: message.topic, partition: message.partition,
                nextOffset: message.offset + 1, firstOffset: message.offset)
        ]
        let deadLetterBatch = batch
        let started = ContinuousClock.now
        do {
            // Gives up when the partition is revoked (also on shutdown): the next owner re-reads
            // the message and dead-letters it then. Written once, then published (retrying both in
            // one step wrote the dead letter again on every failed publish).
            let revoked: @Sendable () -> Bool = { !self.ownership.ownsAll([message.topicPartition]) }
            let rows = try await retrying(.deadLetter, "dead-lettering an unprocessable message", giveUpWhen: revoked) {
                var batch = deadLetterBatch
                batch.offsets = self.ownership.stampingEpochs(batch.offsets)
                do {
                    return try await self.store.applyReturningOutbox(batch)
                } catch let error as StoreError {
                    // Claimed by another worker: dropping the partition makes the retry give up.
                    if case .fenced(_, let topic, let partitions) = error {
                        self.dropFenced(topic: topic, partitions: partitions, error: error)
                    }
                    throw error
                }
            }
            do {
                try await retrying(.deadLetter, "publishing a dead letter", giveUpWhen: revoked) {
                    try await self.publisher.publish(rows)
                }
            } catch {
                // Written: the partition's next batch, the next start or the next owner sends it, in outbox order.
                markRowsLeftPending([message.topicPartition])
                throw error
            }
            try consumer.storeOffsets([message.topicPartition: message.offset + 1])
            var summary = BatchSummary()
            summary.deadLettered = 1
            observer.batchProcessed(summary, messages: messages, duration: ContinuousClock.now - started)
        } catch {
            logger.error("could not dead-letter the message", metadata: ["error": "\(error)"])
        }
    }
}
