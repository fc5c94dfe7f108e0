import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

/// `contact-worker dlq list` and `dlq redrive`, run as an operator would: the real executable,
/// configured through the environment, against a running worker.
@Suite("Dead-letter tooling (docs/contract.md §8, §10)")
struct DeadLetterToolTests {
    @Test("poison lands in the DLQ, dlq list shows it, a corrected message re-driven is processed")
    func listAndRedrive() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
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

            let result = try #require(
                try await harness.read(harness.topics.results, count: 1).map(PublishedResult.init).first)
            #expect(result.commandID == commandID)
            #expect(result.status == 201)
            #expect(result.message.header("correlation-id") == "fix-me")
            let commands = try await harness.read(harness.topics.commands, count: 3)
            #expect(commands.last?.header("x-redriven-from") == "\(harness.topics.deadLetters)/0@1")
            #expect(commands.last?.header("x-error-reason") == nil)
            #expect(commands.last?.header("authorization") == "Bearer \(token)")
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contactID)), businessID: "biz-1")
            #expect(stored?.displayName == "Fixed Ltd")
            try await worker.stop()

            // Asking for a letter that does not exist is an error naming it.
            let missing = try await processes.runCLI(["dlq", "redrive", "--offset", "7"])
            #expect(missing.status == .exited(1))
            #expect(missing.output.contains("no dead letter at \(harness.topics.deadLetters)/0@7"), "\(missing.output)")
        }
    }

    @Test("redrive keeps the original time, --token replaces an expired token, --all twice re-drives each letter once")
    func redriveTimeTokenAndChains() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let processes = try WorkerProcesses(harness: harness, group: "dlq-chains")
            defer { processes.removeLogs() }
            let worker = try harness.startWorker()
            let contactID = "00000000-0000-4000-8000-00000000d2a9"
            let fixed =
                #"{"command_id": "22222222-2222-4222-8222-222222222222", "type": "CreateContact", "business_id": "biz-1", "contact_id": "\#(contactID)", "payload": {"company_name": "Late Ltd"}}"#
            // Broken, and signed with a token that expires before anyone re-drives it. It already
            // carries an x-original-timestamp of its own: the tools must read the worker's (the last).
            let shortLived = try await harness.token(expiresIn: 2)
            var broken = harness.message(
                TestCommand(raw: String(fixed.dropLast(2)), contactID: contactID, token: shortLived))
            broken.headers.append(KafkaHeader(name: "x-original-timestamp", string: "1"))
            try await harness.send([broken])
            let first = try #require(try await harness.read(harness.topics.deadLetters, count: 1).first)
            #expect(first.headers.filter { $0.name == "x-original-timestamp" }.count == 2)
            let sentAt = try #require(first.header("x-original-timestamp").flatMap { Int64($0) })
            #expect(sentAt > 1)
            try await Task.sleep(for: .milliseconds(2_500))

            let file = processes.directory.appendingPathComponent("fixed.json")
            try Data(fixed.utf8).write(to: file)
            let expired = try await processes.runCLI(["dlq", "redrive", "--offset", "0", "--value-file", file.path])
            #expect(expired.status == .exited(0), "\(expired.output)")
            #expect(expired.output.contains("1 letter(s) carry an expired token (0@0)"), "\(expired.output)")
            #expect(
                try await harness.read(harness.topics.results, count: 1).map(PublishedResult.init).map(\.status) == [
                    401
                ])

            let fresh = try await harness.token()
            let renewed = try await processes.runCLI([
                "dlq", "redrive", "--offset", "0", "--value-file", file.path, "--token", fresh,
            ])
            #expect(renewed.status == .exited(0), "\(renewed.output)")
            #expect(
                try await harness.read(harness.topics.results, count: 2).map(PublishedResult.init).map(\.status) == [
                    401, 201,
                ])
            // No issued_at: the contact was created when the command was first sent, not re-driven.
            let id = try #require(UUID(uuidString: contactID))
            let stored = try #require(try await harness.store.contact(id: id, businessID: "biz-1"))
            #expect(stored.createdAt.microsecondsSinceEpoch == sentAt * 1_000)

            // A poison message, then --all twice: each run re-drives only the newest letter of each
            // chain (re-driven letters fail again and come back), so the topic grows by two per run.
            try await harness.send([harness.message(TestCommand(raw: "still not JSON", contactID: "k-9", token: nil))])
            _ = try await harness.read(harness.topics.deadLetters, count: 2)
            let once = try await processes.runCLI(["dlq", "redrive", "--all"])
            #expect(once.status == .exited(0), "\(once.output)")
            try await harness.waitForCount(harness.topics.deadLetters, atLeast: 4)
            let twice = try await processes.runCLI(["dlq", "redrive", "--all"])
            #expect(twice.status == .exited(0), "\(twice.output)")
            #expect(twice.output.contains("2 re-driven, 2 skipped"), "\(twice.output)")
            try await harness.waitForCount(harness.topics.deadLetters, atLeast: 6)
            try await Task.sleep(for: .seconds(1))
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 6)
            let letters = try await harness.read(harness.topics.deadLetters, count: 6)
            let dlq = harness.topics.deadLetters
            #expect(
                letters.map { $0.header("x-redriven-from") } == [
                    nil, nil, "\(dlq)/0@0", "\(dlq)/0@1", "\(dlq)/0@2", "\(dlq)/0@3",
                ])
            try await worker.stop()
        }
    }
}
