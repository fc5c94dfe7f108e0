import Kafka
import Testing

@Suite("Kafka configurations")
struct KafkaConfigurationTests {
    private static let shared = KafkaConfiguration(
        bootstrapServers: "localhost:9092",
        properties: [
            "fetch.wait.max.ms": "5", "session.timeout.ms": "6000", "linger.ms": "1", "acks": "1", "max.in.flight": "2",
        ])

    @Test("a producer built from shared properties leaves out consumer-only ones and keeps the rest")
    func producerDropsConsumerProperties() {
        let producer = KafkaProducerConfiguration(Self.shared).kafka
        #expect(producer["fetch.wait.max.ms"] == nil)
        #expect(producer["session.timeout.ms"] == nil)
        #expect(producer["linger.ms"] == "1")
        #expect(producer["acks"] == "1")
        #expect(producer["max.in.flight"] == "2")
        #expect(producer["enable.idempotence"] == "true")
        #expect(producer.bootstrapServers == "localhost:9092")
    }

    @Test("a consumer built from shared properties leaves out producer-only ones and keeps the rest")
    func consumerDropsProducerProperties() {
        let consumer = KafkaConsumerConfiguration(Self.shared, groupID: "g").kafka
        #expect(consumer["linger.ms"] == nil)
        #expect(consumer["acks"] == nil)
        #expect(consumer["fetch.wait.max.ms"] == "5")
        #expect(consumer["session.timeout.ms"] == "6000")
        #expect(consumer["max.in.flight"] == "2")
        #expect(consumer["group.id"] == "g")
    }

    @Test("producers and consumers turn off Nagle's algorithm unless told otherwise")
    func nagleOffByDefault() {
        #expect(KafkaProducerConfiguration(Self.shared).kafka["socket.nagle.disable"] == "true")
        #expect(KafkaConsumerConfiguration(Self.shared).kafka["socket.nagle.disable"] == "true")
        let keepNagle = KafkaConfiguration(
            bootstrapServers: "localhost:9092", properties: ["socket.nagle.disable": "false"])
        #expect(KafkaProducerConfiguration(keepNagle).kafka["socket.nagle.disable"] == "false")
        #expect(KafkaConsumerConfiguration(keepNagle).kafka["socket.nagle.disable"] == "false")
    }

    @Test("consumers do not ask brokers to create topics unless told otherwise")
    func consumerAutoCreationOffByDefault() {
        #expect(KafkaConsumerConfiguration(Self.shared).kafka["allow.auto.create.topics"] == "false")
        let allow = KafkaConfiguration(
            bootstrapServers: "localhost:9092", properties: ["allow.auto.create.topics": "true"])
        #expect(KafkaConsumerConfiguration(allow).kafka["allow.auto.create.topics"] == "true")
    }
}
