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

    @Test("the consumer the worker configures fetches 1 MiB, raised by message.max.bytes, unless set")
    func consumerConfiguration() async throws {
        func fetchMaxBytes(_ environment: [String: String]) async throws -> String? {
            let settings = try await WorkerSettings.load(
                file: nil,
                environment: environment.merging(
                    ["KAFKA_BROKERS": "127.0.0.1:1", "JWT_HS256_SECRET": "test-secret-0123456789-abcdefghijklmnop"]
                ) { $1 })
            var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
            for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
            return WorkerApplication.consumerConfiguration(kafka, settings: settings).kafka.properties[
                "fetch.max.bytes"]
        }
        #expect(try await fetchMaxBytes([:]) == "1048576")
        #expect(try await fetchMaxBytes(["KAFKA_MESSAGE_MAX_BYTES": "4000000"]) == "4000000")
        #expect(try await fetchMaxBytes(["KAFKA_FETCH_MAX_BYTES": "52428800"]) == "52428800")
    }
}
