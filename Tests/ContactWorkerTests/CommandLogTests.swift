import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Logging
import Testing

@Suite("Per-command log lines (issue 5: topic, partition, offset, command_id)")
struct CommandLogTests {
    @Test(
        "each decision is logged once published: applied and duplicate at debug, rejected at info, dead letters at notice"
    )
    func decisionsAreLogged() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let owner = try await harness.token()
            let viewer = try await harness.token(sub: "u-2", name: "Vic Viewer", role: "viewer")
            let contact = "00000000-0000-4000-8000-0000000000e1"
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"company_name": "Logged Co"}"#, token: owner)
            let refused = TestCommand(
                type: "UpdateStatus", contactID: contact, payload: #"{"relationship_status": "qualified_lead"}"#,
                token: viewer)
            try await harness.send([
                harness.message(create),
                harness.message(refused),
                KafkaOutgoingMessage(
                    topic: harness.topics.commands, partition: 0, key: Array("poison".utf8), value: Array("[1, 2".utf8)),
                harness.message(create),
            ])
            let records = RecordingLogHandler.Records()
            let worker = try harness.startWorker(logger: records.logger(level: .debug))
            let results = try await harness.read(harness.topics.results, count: 3).map(PublishedResult.init)
            _ = try await harness.read(harness.topics.deadLetters, count: 1)
            try await worker.stop()
            #expect(results.map(\.status) == [201, 403, 201])

            let lines = records.all.filter { $0.message.hasPrefix("command ") }
            #expect(
                lines.map(\.message) == [
                    "command applied", "command rejected", "command dead_lettered", "command duplicate",
                ])
            #expect(lines.map(\.level) == [.debug, .info, .notice, .debug])
            #expect(lines.map { $0.metadata["offset"] } == ["0", "1", "2", "3"])
            #expect(
                lines.allSatisfy { $0.metadata["topic"] == harness.topics.commands && $0.metadata["partition"] == "0" })
            #expect(
                lines.map { $0.metadata["command_id"] } == [create.commandID, refused.commandID, nil, create.commandID])
            #expect(lines.map { $0.metadata["status"] } == ["201", "403", nil, "201"])
            #expect(
                lines.map { $0.metadata["command_type"] } == ["CreateContact", "UpdateStatus", nil, "CreateContact"])
            let rejection = try #require(lines.dropFirst().first?.metadata["detail"])
            #expect(try JSONValue.parse(Array(rejection.utf8)) == results[1].body)
            #expect(lines[2].metadata["detail"]?.isEmpty == false)
        }
    }
}
