import ContactWorkerTestSupport
import Kafka
import Testing

@Suite("KafkaConsumer against a mock cluster")
struct KafkaConsumerTests {
    @Test("a paused partition delivers nothing while others flow, and delivers after resume")
    func pauseAndResume() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("pause")
        try cluster.createTopic(topic, partitions: 2)
        let p0 = TopicPartition(topic, 0)
        let p1 = TopicPartition(topic, 1)
        let consumer = try TestSupport.consumer(cluster, group: nil)
        try await consumer.assign([p0: .beginning, p1: .beginning])
        try await consumer.pause([p0])
        try await TestSupport.produce(cluster, topic: topic, count: 20, partitions: 2)

        let flowing = try await TestSupport.collect(consumer, count: 10)
        #expect(flowing.allSatisfy { $0.partition == 1 })
        #expect(flowing.map(\.offset) == Array(0..<10))
        // Nothing of p0 shows up while it is paused.
        let nothing = try? await TestSupport.collect(consumer, count: 1, seconds: 1)
        #expect(nothing == nil)

        try await consumer.resume([p0])
        let resumed = try await TestSupport.collect(consumer, count: 10)
        #expect(resumed.allSatisfy { $0.partition == 0 })
        #expect(resumed.map(\.offset) == Array(0..<10))
        await consumer.close()
    }

    @Test("pausing a partition with buffered messages loses none of them")
    func pauseKeepsBufferedMessages() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("pause-buffered")
        try cluster.createTopic(topic, partitions: 1)
        let p0 = TopicPartition(topic, 0)
        try await TestSupport.produce(cluster, topic: topic, count: 50, partitions: 1)
        let consumer = try TestSupport.consumer(cluster, group: nil) { $0.maxBatchSize = 5 }
        try await consumer.assign([p0: .beginning])
        let first = try await TestSupport.collect(consumer, count: 5)
        try await consumer.pause([p0])
        try await consumer.resume([p0])
        let rest = try await TestSupport.collect(consumer, count: 50 - first.count)
        #expect((first + rest).map(\.offset) == Array(0..<50))
        await consumer.close()
    }

    @Test("seek back re-reads from the earlier offset")
    func seekRereads() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("seek")
        try cluster.createTopic(topic, partitions: 1)
        let p0 = TopicPartition(topic, 0)
        try await TestSupport.produce(cluster, topic: topic, count: 10, partitions: 1)
        let consumer = try TestSupport.consumer(cluster, group: nil)
        try await consumer.assign([p0: .beginning])
        let all = try await TestSupport.collect(consumer, count: 10)
        #expect(all.map(\.offset) == Array(0..<10))
        try await consumer.seek(p0, to: 3)
        let again = try await TestSupport.collect(consumer, count: 7)
        #expect(again.map(\.offset) == Array(3..<10))
        await consumer.close()
    }

    @Test("committed offsets read back, and a new member of the group starts from them")
    func commitAndReadBack() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("commit")
        let group = TestSupport.unique("group")
        try cluster.createTopic(topic, partitions: 1)
        let p0 = TopicPartition(topic, 0)
        try await TestSupport.produce(cluster, topic: topic, count: 10, partitions: 1)

        // Group joins on the mock are slow and uneven: measured alone, the first join takes 3 s (the
        // mock's initial rebalance delay) and the second 5 s: the first member's LeaveGroup puts the
        // group into its joining state with a session.timeout.ms - 1000 timer that a new member
        // waits out. Rarely the second took 15 s (cause not found). In a fully loaded parallel suite
        // the first once took over 15 s in CI, so both waits are generous: this test is about
        // offsets, not join speed.
        let first = try TestSupport.consumer(cluster, group: group, strategy: "range")
        try await first.subscribe(topics: [topic])
        let messages = try await TestSupport.collect(first, count: 10, seconds: 40)
        #expect(messages.map(\.offset) == Array(0..<10))
        try first.storeOffsets([p0: 6])
        try await first.commit()
        #expect(try await first.committed([p0]) == [p0: 6])
        try await first.commit(offsets: [p0: 7])
        #expect(try await first.committed([p0]) == [p0: 7])
        try await first.commit(offsets: [p0: 6])
        await first.close()

        let second = try TestSupport.consumer(cluster, group: group, strategy: "range")
        try await second.subscribe(topics: [topic])
        // Joining a group the mock just saw emptied waits out that timer (~5 s, see above).
        let resumed = try await TestSupport.collect(second, count: 4, seconds: 40)
        #expect(resumed.first?.offset == 6)
        await second.close()
    }

    @Test("commit with nothing stored succeeds and leaves the committed offset where it was, not at the read position")
    func commitNothing() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("commit-nothing")
        try cluster.createTopic(topic, partitions: 1)
        let p0 = TopicPartition(topic, 0)
        try await TestSupport.produce(cluster, topic: topic, count: 10, partitions: 1)
        let consumer = try TestSupport.consumer(cluster, group: TestSupport.unique("group"), strategy: "range")
        try await consumer.subscribe(topics: [topic])
        // Reading moves the position to 10 without storing an offset: only storeOffsets stores.
        let messages = try await TestSupport.collect(consumer, count: 10, seconds: 40)
        #expect(messages.map(\.offset) == Array(0..<10))
        try await consumer.commit()
        #expect(try await consumer.committed([p0]) == [p0: nil])
        try await consumer.commit(offsets: [p0: 4])
        try await consumer.commit()
        #expect(try await consumer.committed([p0]) == [p0: 4])
        await consumer.close()
    }

    @Test("watermarks report the oldest and next offsets")
    func watermarks() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("watermarks")
        try cluster.createTopic(topic, partitions: 2)
        try await TestSupport.produce(cluster, topic: topic, count: 14, partitions: 2)
        let consumer = try TestSupport.consumer(cluster, group: nil)
        let marks = try await consumer.watermarks(topic: topic, partition: 1)
        #expect(marks.low == 0)
        #expect(marks.high == 7)
        #expect(try await consumer.partitions(of: topic) == [TopicPartition(topic, 0), TopicPartition(topic, 1)])
        await consumer.close()
    }

    @Test("with a tiny buffer and a slow reader every message arrives, in order per partition")
    func boundedBuffering() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("bounded")
        try cluster.createTopic(topic, partitions: 4)
        try await TestSupport.produce(cluster, topic: topic, count: 200, partitions: 4)
        let consumer = try TestSupport.consumer(cluster, group: nil) {
            $0.bufferCapacity = 40
            $0.maxBatchSize = 10
        }
        try await consumer.assign(
            Dictionary(uniqueKeysWithValues: (0..<4).map { (TopicPartition(topic, $0), KafkaOffset.beginning) }))
        let messages = try await within(20, "200 messages") {
            var messages: [KafkaMessage] = []
            for await batch in consumer.batches {
                #expect(batch.count <= 10)
                messages += batch
                if messages.count >= 200 { break }
                try await Task.sleep(for: .milliseconds(2))
            }
            return messages
        }
        #expect(messages.count == 200)
        for partition in Int32(0)..<4 {
            #expect(messages.filter { $0.partition == partition }.map(\.offset) == Array(0..<50))
        }
        await consumer.close()
    }

    @Test("close ends the batch sequence")
    func closeEndsSequence() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("close")
        try cluster.createTopic(topic, partitions: 1)
        let consumer = try TestSupport.consumer(cluster, group: nil)
        try await consumer.assign([TopicPartition(topic, 0): .beginning])
        let reader = Task {
            var batches = 0
            for await _ in consumer.batches { batches += 1 }
            return batches
        }
        try await Task.sleep(for: .milliseconds(200))
        await consumer.close()
        let batches = try await within(10, "sequence end") { await reader.value }
        #expect(batches == 0)
        await #expect(throws: KafkaError.self) { try await consumer.seek(TopicPartition(topic, 0), to: 0) }
    }

    @Test(
        "with enable.partition.eof the end of a partition is reported after its last message; a bad offset is a failure"
    )
    func partitionEventsFollowMessages() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("eof")
        try cluster.createTopic(topic, partitions: 2)
        try await TestSupport.produce(cluster, topic: topic, count: 5, onto: [0])
        let consumer = try TestSupport.consumer(cluster, group: nil) { configuration in
            configuration.set("enable.partition.eof", "true")
            configuration.set("auto.offset.reset", "error")
        }
        let p0 = TopicPartition(topic, 0)
        let p1 = TopicPartition(topic, 1)
        // Partition 1 is empty: offset 7 is out of range, and with auto.offset.reset=error that
        // is reported rather than silently reset.
        try await consumer.assign([p0: .beginning, p1: .exact(7)])
        let seen = try await within(20, "the end of partition 0 and the failure of partition 1") {
            var offsets: [Int64] = []
            var events: [KafkaPartitionEvent] = []
            for await batch in consumer.batches {
                // An event is only visible once the messages read before it were handed out.
                let taken = consumer.takePartitionEvents()
                if taken.contains(KafkaPartitionEvent(p0, .end(nextOffset: 5))) {
                    #expect(offsets.count + batch.count == 5)
                }
                offsets += batch.map(\.offset)
                events += taken
                if events.contains(where: { $0.topicPartition == p0 })
                    && events.contains(where: { $0.topicPartition == p1 })
                {
                    break
                }
            }
            return (offsets, events)
        }
        #expect(seen.0 == [0, 1, 2, 3, 4])
        #expect(seen.1.filter { $0.topicPartition == p0 } == [KafkaPartitionEvent(p0, .end(nextOffset: 5))])
        let failure = try #require(seen.1.first { $0.topicPartition == p1 })
        guard case .failed(let error) = failure.kind else {
            Issue.record("expected a failure for partition 1, got \(failure.kind)")
            return
        }
        #expect(error.code == KafkaErrorCode.autoOffsetReset, "\(error)")
        await consumer.close()
    }
}
