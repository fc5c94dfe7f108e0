import Kafka
import Logging
import Testing

@testable import ContactWorker

@Suite("The worker's fetch size")
struct WorkerFetchSizeTests {
    @Test("fetches are 1 MiB unless set, and never below message.max.bytes, which librdkafka refuses")
    func fetchMaxBytes() async throws {
        #expect(WorkerApplication.fetchMaxBytes(properties: [:]) == 1_048_576)
        #expect(WorkerApplication.fetchMaxBytes(properties: ["message.max.bytes": "500000"]) == 1_048_576)
        #expect(WorkerApplication.fetchMaxBytes(properties: ["message.max.bytes": "4000000"]) == 4_000_000)
        #expect(WorkerApplication.fetchMaxBytes(properties: ["fetch.max.bytes": "52428800"]) == nil)

        // librdkafka accepts what the worker sets next to a raised message.max.bytes: a consumer
        // is created from them (it connects only once assigned).
        let properties = ["message.max.bytes": "4000000"]
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:1", groupID: "fetch-size")
        for (key, value) in properties { configuration.set(key, value) }
        let fetchBytes = try #require(WorkerApplication.fetchMaxBytes(properties: properties))
        configuration.set("fetch.max.bytes", String(fetchBytes))
        let consumer = try KafkaConsumer(configuration: configuration, logger: Logger(label: "test"))
        await consumer.close()
    }
}
