import Kafka
import Testing

@Suite("Topic metadata against the mock cluster")
struct KafkaTopicMetadataTests {
    @Test(
        "describeTopics names the brokers and each topic's partitions, and reports a missing topic without creating it")
    func describesTopics() async throws {
        let cluster = try MockCluster(brokers: 2)
        defer { cluster.close() }
        let present = TestSupport.unique("present")
        let missing = TestSupport.unique("missing")
        try cluster.createTopic(present, partitions: 3)
        let consumer = try TestSupport.consumer(cluster, group: nil)

        let metadata = try await consumer.describeTopics([present, missing], timeout: .seconds(5))
        #expect(metadata.brokers.count == 2)
        #expect(Set(metadata.brokers) == Set(cluster.bootstrapServers.split(separator: ",").map(String.init)))
        #expect(metadata.topics.map(\.name) == [present, missing])
        #expect(metadata[topic: present] == KafkaTopicDescription(name: present, partitionCount: 3))
        #expect(
            metadata[topic: missing]
                == KafkaTopicDescription(name: missing, partitionCount: 0, error: .unknownTopicOrPartition))
        #expect(metadata[topic: missing]?.doesNotExist == true)

        // Asking again still finds it missing: the consumer's metadata request did not create it.
        let again = try await consumer.describeTopics([missing], timeout: .seconds(5))
        #expect(again[topic: missing]?.doesNotExist == true)

        try cluster.createTopic(missing, partitions: 2)
        let created = try await consumer.describeTopics([missing], timeout: .seconds(5))
        #expect(created[topic: missing] == KafkaTopicDescription(name: missing, partitionCount: 2))
        await consumer.close()
    }

    @Test(
        "a consumer that allows auto-creation gets the missing topic created by the mock, as by a broker that auto-creates"
    )
    func autoCreationWhenAllowed() async throws {
        let cluster = try MockCluster()
        defer { cluster.close() }
        let topic = TestSupport.unique("auto")
        let consumer = try TestSupport.consumer(cluster, group: nil) { $0.set("allow.auto.create.topics", "true") }
        let metadata = try await consumer.describeTopics([topic], timeout: .seconds(5))
        #expect(metadata[topic: topic]?.error == nil)
        #expect((metadata[topic: topic]?.partitionCount ?? 0) > 0)
        await consumer.close()
    }

    @Test("topicConfigurations fails within its timeout on librdkafka 2.0.2's mock, which has no DescribeConfigs")
    func describeConfigsUnsupportedByTheMock() async throws {
        let cluster = try MockCluster()
        defer { cluster.close() }
        let topic = TestSupport.unique("configs")
        try cluster.createTopic(topic, partitions: 1)
        let consumer = try TestSupport.consumer(cluster, group: nil)
        await #expect(throws: KafkaError.self) {
            _ = try await consumer.topicConfigurations([topic], timeout: .milliseconds(500))
        }
        await consumer.close()
    }
}
