import CKafka

// MARK: - The application's commands (poll thread, run through perform)

extension RDKafkaConsumerEngine {
    func subscribeNow(_ topics: [String]) -> KafkaError? {
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics {
            list.add(TopicPartition(topic, RD_KAFKA_PARTITION_UA), offset: Int64(RD_KAFKA_OFFSET_INVALID))
        }
        let err = list.withPointer { rd_kafka_subscribe(rk, $0) }
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : .operation("subscribe to \(topics)", err)
    }

    func assignNow(_ partitions: [TopicPartition: KafkaOffset]) -> KafkaError? {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for (tp, offset) in partitions.sorted(by: { $0.key < $1.key }) { list.add(tp, offset: offset.rawValue) }
        let err = list.withPointer { rd_kafka_assign(rk, $0) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .operation("assign", err) }
        let assigned = Set(partitions.keys)
        let actions = poll.positions.assign(partitions.mapValues(\.rawValue))
        shared.withLock { shared in
            // Whatever was buffered belongs to the previous assignment or start positions.
            let stale = shared.assignment.union(assigned)
            shared.assignment = assigned
            _ = shared.buffer.drop(stale)
        }
        carryOut(actions)
        return nil
    }

    func pauseNow(_ partitions: Set<TopicPartition>) -> KafkaError? {
        poll.positions.pause(partitions)
        let list = RDKafkaTopicPartitionList(partitions)
        let err = list.withPointer { rd_kafka_pause_partitions(rk, $0) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .operation("pause \(partitions.sorted())", err) }
        // Nothing of a paused partition reaches the application after pause() returns: drop what
        // is buffered and read it again after resume.
        let lowest = shared.withLock { $0.buffer.drop(partitions).lowest }
        poll.positions.rewind(lowest)
        return nil
    }

    func resumeNow(_ partitions: Set<TopicPartition>) -> KafkaError? {
        carryOut(poll.positions.resume(partitions))
    }

    func seekNow(_ partition: TopicPartition, _ offset: Int64) -> KafkaError? {
        _ = shared.withLock { $0.buffer.drop([partition]) }
        return carryOut(poll.positions.seek(partition, to: offset))
    }
}
