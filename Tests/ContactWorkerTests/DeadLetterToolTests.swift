import ContactDomain
import ContactStore
import ContactWorker
import Foundation
import Kafka
import Testing

/// `contact-worker dlq list` and `dlq redrive`, run as an operator would: the real executable,
/// configured through the environment, against a running worker.
@Suite("Dead-letter tooling (SPEC §8, §10)")
struct DeadLetterToolTests {
    @Test("poison lands in the DLQ, dlq list shows it, a corrected message re-driven is processed")
    func listAndRedrive() async throws {
        guard let harness = try await WorkerHarness.make(.sqlite, commandPartitions: 1) else { return }
        defer { Task { await harness.close() } }
        let processes = try WorkerProcesses(harness: harness, group: "dlq-tools")
        defer { processes.removeLogs() }
        let worker = try harness.startWorker()
        let token = try await harness.token()
        let contactID = "00000000-0000-4000-8000-00000000d1a9"
        let commandID = "11111111-1111-4111-8111-111111111111"
        let fixed =
            #"{"command_id": "\#(commandID)", "type": "CreateContact", "business_id": "biz-1", "contact_id": "\#(contactID)", "payload": {"company_name": "Fixed Ltd"}}"#
        var broken = TestCommand(raw: String(fixed.dropLast(2)), contactID: contactID, token: token)
        broken.correlationID = "fix-me"
        try await harness.send([
            harness.message(TestCommand(raw: "this is not JSON", contactID: "k-1", token: nil)),
            harness.message(broken),
        ])
        let letters = try await harness.read(harness.topics.deadLetters, count: 2)
        try #require(letters.count == 2)

        // dlq list: both letters, their origin and reason, a preview of the value.
        let list = try await processes.runCLI(["dlq", "list"])
        #expect(list.status == .exited(0), "\(list.output)")
        #expect(list.output.contains("2 dead letter(s) on \(harness.topics.deadLetters)"), "\(list.output)")
        #expect(list.output.contains("0@0") && list.output.contains("from 0@0"), "\(list.output)")
        #expect(list.output.contains("0@1") && list.output.contains("from 0@1"), "\(list.output)")
        #expect(list.output.contains("this is not JSON"), "\(list.output)")
        let reasons = letters.compactMap { $0.header("x-error-reason") }
        #expect(reasons.count == 2)
        for reason in reasons { #expect(list.output.contains(reason), "\(list.output)") }

        // dlq redrive --offset 1 with the corrected command: processed like any command.
        let file = processes.directory.appendingPathComponent("fixed.json")
        try Data(fixed.utf8).write(to: file)
        let redrive = try await processes.runCLI(["dlq", "redrive", "--offset", "1", "--value-file", file.path])
        #expect(redrive.status == .exited(0), "\(redrive.output)")
        #expect(redrive.output.contains("1 dead letters re-driven"), "\(redrive.output)")

        let result = try #require(try await harness.read(harness.topics.results, count: 1).map(PublishedResult.init).first)
        #expect(result.commandID == commandID)
        #expect(result.status == 201)
        #expect(result.message.header("correlation-id") == "fix-me")
        let commands = try await harness.read(harness.topics.commands, count: 3)
        #expect(commands.last?.header("x-redriven-from") == "\(harness.topics.deadLetters)/0@1")
        #expect(commands.last?.header("x-error-reason") == nil)
        #expect(commands.last?.header("authorization") == "Bearer \(token)")
        let stored = try await harness.store.contact(id: try #require(UUID(uuidString: contactID)), businessID: "biz-1")
        #expect(stored?.displayName == "Fixed Ltd")
        try await worker.stop()

        // Asking for a letter that does not exist is an error naming it.
        let missing = try await processes.runCLI(["dlq", "redrive", "--offset", "7"])
        #expect(missing.status == .exited(1))
        #expect(missing.output.contains("no dead letter at \(harness.topics.deadLetters)/0@7"), "\(missing.output)")
    }
}
