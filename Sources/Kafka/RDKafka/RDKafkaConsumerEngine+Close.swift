import CKafka
import Foundation

// MARK: - Leaving the group (poll thread, after the poll loop ends)

extension RDKafkaConsumerEngine {
    func closeConsumer() {
        // librdkafka 2.0.2 can hang in rd_kafka_consumer_close() after the assignment was lost
        // (e.g. session timeout): release the lost partitions first (LRK-9).
        if rd_kafka_assignment_lost(rk) != 0 {
            logger.info("assignment lost before close: unassigning first")
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            if rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
                let owned = RDKafkaTopicPartitionList(adopting: list)
                owned.withPointer { unassign($0) }
            }
        }
        closeWithinBound()
        let waiter = shared.withLock { shared in
            shared.assignment = []
            return shared.buffer.finish()
        }
        waiter?.resume(returning: nil)
        // Commands that raced with close still get an answer (librdkafka reports the closed state).
        let leftovers = shared.withLock { shared in
            shared.stopped = true
            defer { shared.commands = [] }
            return shared.commands
        }
        for command in leftovers { command(self) }
        consumerQueue.withLock { queue in
            if let queue { rd_kafka_queue_destroy(queue) }
            queue = nil
        }
    }

    /// How long a close may wait for librdkafka after the last rebalance callback returned.
    static let closeWait: Duration = .seconds(5)

    /// Leaves the group: the revoke callback runs (and commits) as in `rd_kafka_consumer_close`,
    /// but the wait is bounded. While no broker answers, librdkafka holds the close until every
    /// commit still outstanding expires, up to `session.timeout.ms` (45 s by default; LRK-10), and
    /// a graceful shutdown must end within 30 s (docs/contract.md §9). Past ``closeWait`` after the last callback, the client is destroyed without
    /// waiting further; what was not committed is only Kafka's copy of the positions.
    private func closeWithinBound() {
        guard let queue = consumerQueue.withLock({ $0 }) else {
            let err = rd_kafka_consumer_close(rk)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.warning("\(KafkaError.operation("close", err))") }
            return
        }
        if let error = rd_kafka_consumer_close_queue(rk, queue) {
            // A consumer outside any group (assigned by hand) has no group to leave.
            let outsideGroup = rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__UNKNOWN_GROUP
            let failure = KafkaError.consuming(error, operation: "close")
            if !outsideGroup { logger.warning("\(failure)") }
            return
        }
        let started = ContinuousClock.now
        defer { logger.debug("consumer closed", metadata: ["duration": "\(ContinuousClock.now - started)"]) }
        let capacity = 64
        let messages = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: capacity)
        defer { messages.deallocate() }
        while rd_kafka_consumer_closed(rk) == 0 {
            guard ContinuousClock.now < max(started, poll.lastRebalanceEnd) + Self.closeWait else {
                logger.warning(
                    "the consumer did not finish leaving its group within \(Self.closeWait) (no broker answering?); closing without waiting further"
                )
                client.skipConsumerCloseOnDestroy()
                return
            }
            // Serves the revoke callback; messages still arriving are not handed out any more.
            let count = rd_kafka_consume_batch_queue(queue, 100, messages, capacity)
            for index in 0..<max(count, 0) { rd_kafka_message_destroy(messages[index]) }
        }
    }
}
