import ContactDomain
import ContactStore
import ContactWorker
import Foundation
import Kafka
import Testing

@Suite("Publishing failures (SPEC §9)")
struct DeliveryFailureTests {
    @Test("results and events the broker refused are published again as originals, never as duplicates")
    func refusedDeliveriesArePublishedAgain() async throws {
        guard let harness = try await WorkerHarness.make(.sqlite, commandPartitions: 1) else { return }
        defer { Task { await harness.close() } }
        let token = try await harness.token()
        let commands = (0..<10).map { index in
            TestCommand(
                type: "CreateContact", contactID: String(format: "00000000-0000-4000-a000-%012d", index),
                payload: #"{"company_name": "Refused \#(index)"}"#, token: token)
        }
        try await harness.send(commands.map(harness.message))
        // The worker's first produce requests are refused for good (not retried by librdkafka),
        // after its batch is already committed to the database.
        try harness.cluster.pushRequestErrors(apiKey: .produce, errors: [.topicAuthorizationFailed, .topicAuthorizationFailed])

        let worker = try harness.startWorker()
        let results = try await harness.read(harness.topics.results, count: commands.count).map(PublishedResult.init)
        _ = try await harness.read(harness.topics.events, count: commands.count)
        try await worker.stop()

        #expect(try await harness.messageCount(harness.topics.results) == Int64(commands.count))
        #expect(try await harness.messageCount(harness.topics.events) == Int64(commands.count))
        #expect(results.map(\.commandID) == commands.map(\.commandID))
        #expect(results.map(\.status) == Array(repeating: 201, count: commands.count))
        #expect(results.map(\.duplicate) == Array(repeating: false, count: commands.count))
        #expect(try await harness.store.pendingOutbox(limit: 10).isEmpty)
    }
}
