import CKafka
import Foundation

// MARK: - Rebalance (poll thread, inside librdkafka's rebalance callback)

extension RDKafkaConsumerEngine {
    private var isCooperative: Bool {
        guard let proto = rd_kafka_rebalance_protocol(rk) else { return false }
        return String(cString: proto) == "COOPERATIVE"
    }

    func rebalance(err: rd_kafka_resp_err_t, partitions list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        defer { poll.lastRebalanceEnd = .now }
        let partitions = RDKafkaTopicPartitionList.entries(of: list).map(\.topicPartition)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.debug("partitions assigned: \(partitions.sorted())")
            var offsets: [TopicPartition: Int64] = [:]
            if let listener {
                offsets = runHook { await listener.partitionsAssigned(partitions) }
                RDKafkaTopicPartitionList.setOffsets(offsets, in: list)
            }
            assign(list)
            let added = Set(partitions)
            // The chosen start offsets are where the partitions' first messages must be, so a
            // flow-control pause before the first is handed out is still checked on resume
            // (LRK-3, upstream #4208).
            let actions = poll.positions.groupAssigned(added, startingAt: offsets)
            shared.withLock { $0.assignment.formUnion(added) }
            carryOut(actions)

        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.debug("partitions revoked (lost: \(lost)): \(partitions.sorted())")
            let revoked = Set(partitions)
            poll.positions.groupRevoked(revoked)
            shared.withLock { shared in
                shared.assignment.subtract(revoked)
                _ = shared.buffer.drop(revoked)
            }
            if let listener {
                runHook { await listener.partitionsRevoked(partitions, lost: lost) }
            }
            if !lost {
                // Commit what the application stored for these partitions before releasing
                // them, so the next owner starts exactly after the processed messages.
                let commitErr = commitBeforeRelease()
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR, commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    let error = KafkaError.operation("commit before releasing \(partitions.sorted())", commitErr)
                    // The group moved on while the application drained (another rebalance began,
                    // or this member's generation ended): expected in busy groups, and the next
                    // owner starts from what the application stored elsewhere or re-reads.
                    // A commit that timed out (no coordinator: a broker outage) changes nothing
                    // for an application that keeps its positions elsewhere.
                    let groupMovedOn = [
                        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
                        RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR__TIMED_OUT,
                    ].contains(commitErr)
                    logger.log(level: groupMovedOn ? .warning : .error, "\(error)")
                    client.context.report(error)
                }
            }
            unassign(list)

        default:
            let error = KafkaError.operation("rebalance", err)
            logger.error("\(error)")
            client.context.report(error)
            unassign(list)
            poll.positions.groupRebalanceFailed()
            shared.withLock { shared in
                shared.assignment = []
                _ = shared.buffer.drop(Set(partitions))
            }
        }
    }

    /// Commits stored offsets, retrying briefly on transient coordinator errors, for at most
    /// five seconds in all.
    ///
    /// Bounded because a synchronous `rd_kafka_commit` without a reachable coordinator waits up
    /// to `session.timeout.ms` (45 s by default; LRK-10) inside the revoke, and a graceful shutdown during
    /// a broker outage must end within 30 s (docs/contract.md §9). An application that stores its positions
    /// elsewhere (the worker's database) loses nothing when this commit times out.
    private func commitBeforeRelease() -> rd_kafka_resp_err_t {
        let deadline = ContinuousClock.now + .seconds(5)
        var err = Self.commitStored(rk, until: deadline)
        while err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR__NO_OFFSET,
            err != RD_KAFKA_RESP_ERR__TIMED_OUT,
            KafkaErrorCode(err).isRetriable, ContinuousClock.now < deadline
        {
            usleep(100_000)
            err = Self.commitStored(rk, until: deadline)
        }
        return err
    }

    /// One commit of the stored offsets of `rk`, waiting for its result until `deadline`
    /// (`__TIMED_OUT` past it). Blocks the calling thread: call it on the poll thread or a
    /// blocking queue, never on the cooperative pool.
    static func commitStored(_ rk: OpaquePointer, until deadline: ContinuousClock.Instant) -> rd_kafka_resp_err_t {
        guard let queue = rd_kafka_queue_new(rk) else { return rd_kafka_commit(rk, nil, 0) }
        defer { rd_kafka_queue_destroy(queue) }
        let err = rd_kafka_commit_queue(rk, nil, queue, nil, nil)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return err }
        while true {
            let remaining = deadline - ContinuousClock.now
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1_000 + remaining.components.attoseconds
                    / 1_000_000_000_000_000)
            guard milliseconds > 0, let event = rd_kafka_queue_poll(queue, milliseconds) else {
                return RD_KAFKA_RESP_ERR__TIMED_OUT
            }
            defer { rd_kafka_event_destroy(event) }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT { return rd_kafka_event_error(event) }
        }
    }

    private func assign(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        if isCooperative {
            if let error = rd_kafka_incremental_assign(rk, list) {
                logger.error("\(KafkaError.consuming(error, operation: "incremental assign"))")
            }
        } else {
            let err = rd_kafka_assign(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("\(KafkaError.operation("assign", err))") }
        }
    }

    func unassign(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        if isCooperative {
            if let error = rd_kafka_incremental_unassign(rk, list) {
                logger.error("\(KafkaError.consuming(error, operation: "incremental unassign"))")
            }
        } else {
            let err = rd_kafka_assign(rk, nil)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("\(KafkaError.operation("unassign", err))") }
        }
    }
}
