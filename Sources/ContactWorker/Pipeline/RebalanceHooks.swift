import ContactStore
import Kafka
import Logging

/// The worker's side of consumer-group rebalances.
///
/// On assignment, the worker claims the partitions in the database (raising their owner epochs,
/// which fences any earlier owner still writing), then publishes what a previous owner committed
/// for them but did not publish, and starts each from the offset stored with its last batch (the
/// source of truth: Kafka commits may lag behind it). On revocation, the batches in flight finish
/// first (published, or their rows left to the next owner) and the offsets of those published are
/// stored, so the consumer's commit-before-release covers them.
final class RebalanceHooks: KafkaRebalanceListener {
    let store: any ContactStore
    let publisher: OutboxPublisher
    let ownership: PartitionOwnership
    let shutdown: ShutdownProgress
    let group: String
    let topic: String
    let retrier: Retrier
    let logger: Logger

    init(
        store: any ContactStore, publisher: OutboxPublisher, ownership: PartitionOwnership, shutdown: ShutdownProgress,
        group: String, topic: String,
        retrier: Retrier, logger: Logger
    ) {
        self.store = store
        self.publisher = publisher
        self.ownership = ownership
        self.shutdown = shutdown
        self.group = group
        self.topic = topic
        self.retrier = retrier
        self.logger = logger
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) async -> [TopicPartition: Int64] {
        let report = Retrier.Report(
            operation: .readOffsets, context: "reading stored offsets", message: "cannot read stored offsets; retrying")
        let result = await retrier.run(report) { error in
            if shutdown.requested {
                // Shutting down: take nothing. The partitions stay unowned, so no batch touches
                // them, and the close that follows hands them back.
                logger.notice("partitions assigned during shutdown left untouched", metadata: ["error": "\(error)"])
                return .stop
            }
            // Starting without the stored offsets could re-apply or skip commands; wait for the
            // database instead (the group waits for this member up to the rebalance timeout).
            return .retry(.warning)
        } wait: { delay in
            try? await Task.sleep(for: delay)
            return true
        } _: {
            try await claim(partitions)
        }
        return (try? result.get()) ?? [:]
    }

    /// Claims `partitions`, publishes what earlier owners left of them, and reads where each starts.
    private func claim(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Int64] {
        let ours = partitions.filter { $0.topic == topic }
        // Claiming raises each partition's owner epoch: from here on a batch of any earlier owner
        // is refused, and one that committed first is in the offsets read and in the outbox.
        // Claimed before the drain, so no earlier owner (paused past its session, say) can commit
        // rows after the drain read the outbox's end: they would wait behind this worker's own.
        let claims = try await store.claimPartitions(group: group, topic: topic, partitions: ours.map(\.partition))
        // Only the partitions being assigned, and rows without a source partition (written by an
        // earlier build): rows of partitions this worker keeps are its own pipeline's to publish,
        // and the other members publish theirs.
        _ = try await publisher.drain(sourcePartitions: Set(ours.map(\.partition)))
        var start: [TopicPartition: Int64] = [:]
        var epochs: [TopicPartition: Int64] = [:]
        for partition in ours {
            guard let claim = claims[partition.partition] else { continue }
            epochs[partition] = claim.epoch
            if let offset = claim.nextOffset { start[partition] = offset }
        }
        ownership.assign(epochs)
        logger.info(
            "partitions assigned",
            metadata: [
                "partitions": "\(partitions.map(\.description).joined(separator: ","))", "start": "\(start)",
                "epochs": "\(epochs)",
            ])
        return start
    }

    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool) async {
        await ownership.revoke(partitions)
        // The next owner publishes whatever is still pending; mark what was delivered so it does
        // not publish that again.
        await publisher.flushAcknowledged(orLog: "the next owner publishes them again")
        logger.info(
            "partitions revoked",
            metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))", "lost": "\(lost)"])
    }
}
