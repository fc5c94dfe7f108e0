import Kafka
import Testing

@Suite("TopicPartition: equality, hashing and order")
struct TopicPartitionTests {
    @Test("partitions of topics whose names have one length are distinct keys; equal values hash alike")
    func sameLengthTopicsAreDistinctKeys() {
        let a = TopicPartition("orders", 3)
        let b = TopicPartition("events", 3)
        #expect(a != b)
        var offsets: [TopicPartition: Int64] = [a: 10, b: 20, TopicPartition("orders", 4): 30]
        offsets[TopicPartition("events", 3)] = 21
        #expect(
            offsets == [
                TopicPartition("orders", 3): 10, TopicPartition("events", 3): 21, TopicPartition("orders", 4): 30,
            ])
        let spelled = TopicPartition(String("ord") + "ers", 3)
        #expect(spelled == a && spelled.hashValue == a.hashValue)
        #expect(Set([a, b, spelled]).count == 2)
    }

    @Test("ordered by topic, then partition")
    func order() {
        let sorted = [TopicPartition("b", 0), TopicPartition("a", 2), TopicPartition("a", 1)].sorted()
        #expect(sorted == [TopicPartition("a", 1), TopicPartition("a", 2), TopicPartition("b", 0)])
    }
}
