import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

@Suite("Malformed input (docs/contract.md §8)")
struct PoisonInputTests {
    @Test("poison input never crashes the worker or stalls a partition", arguments: Backend.available)
    func poisonInput(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 2) { harness in
            let token = try await harness.token()
            let topic = harness.topics.commands
            let auth = [KafkaHeader(name: "authorization", string: "Bearer \(token)")]

            func raw(_ bytes: [UInt8], key: [UInt8]? = Array("poison".utf8)) -> KafkaOutgoingMessage {
                KafkaOutgoingMessage(topic: topic, partition: 0, key: key, value: bytes, headers: auth)
            }
            func text(_ value: String, key: [UInt8]? = Array("poison".utf8)) -> KafkaOutgoingMessage {
                raw(Array(value.utf8), key: key)
            }
            // Seeded: CONTACT_WORKER_TEST_SEED repeats a run, and the checks of the dead letters
            // (where the random bytes end up) name the seed.
            let seed = Scenario.seed()
            var generator = SeededGenerator(seed: seed)
            let randomBytes = [0xFF, 0xFE] + (0..<4_096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let huge =
                Array(#"{"command_id": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 2 << 20)
                + Array(#""}"#.utf8)
            let deepArray = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            // Too deep to decode, but a command all the same (an object with a string command_id): a 422.
            let deepID = UUID().uuidString.lowercased()
            let deepObject =
                #"{"command_id": "\#(deepID)", "payload": "# + String(repeating: #"{"a": "#, count: 10_000) + "1"
                + String(repeating: "}", count: 10_000) + "}"

            let wrongEnvelopeID = UUID().uuidString.lowercased()
            let wrongCreateID = UUID().uuidString.lowercased()
            let wrongInteractionID = UUID().uuidString.lowercased()
            let wrongStatusID = UUID().uuidString.lowercased()
            let unknownTypeID = UUID().uuidString.lowercased()
            let contact = "550e8400-e29b-41d4-a716-4466554400aa"
            func envelope(_ id: String, _ type: String, _ payload: String) -> String {
                #"{"command_id": "\#(id)", "type": "\#(type)", "business_id": "biz-1", "contact_id": "\#(contact)", "issued_at": "2024-01-10T14:30:00Z", "payload": \#(payload)}"#
            }
            let deadLetters: [KafkaOutgoingMessage] = [
                raw(randomBytes),
                raw(huge),
                text(deepArray),
                raw([]),
                raw([], key: nil),
                text(#"{"command_id": 42}"#),
                text("[1, 2, 3]"),
                text(#""just a string""#),
                text("{}"),
                text("null", key: nil),
                KafkaOutgoingMessage(
                    topic: topic, partition: 0, key: [UInt8](repeating: UInt8(ascii: "k"), count: 200_000),
                    value: Array("not json".utf8),
                    headers: auth + [
                        KafkaHeader(name: "x-big", value: [UInt8](repeating: UInt8(ascii: "h"), count: 300_000)),
                        KafkaHeader(name: "x-after", string: "small"),
                    ]),
            ]
            let unprocessable: [KafkaOutgoingMessage] = [
                text(
                    #"{"command_id": "\#(wrongEnvelopeID)", "type": 5, "business_id": [], "contact_id": {}, "issued_at": 7, "payload": "x"}"#
                ),
                text(
                    envelope(
                        wrongCreateID, "CreateContact",
                        #"{"first_name": 1, "last_name": true, "company_name": [], "email": {}, "phone": 3, "relationship_status": 9, "lifecycle_stage": false}"#
                    )),
                text(
                    envelope(
                        wrongInteractionID, "AddInteraction",
                        #"{"type": 1, "description": 2, "outcome": 3, "next_action": [], "scheduled_follow_up": 5}"#)),
                text(
                    envelope(
                        wrongStatusID, "UpdateStatus",
                        #"{"relationship_status": 1, "lifecycle_stage": 2, "reason": 3, "notes": {}}"#)),
                text(envelope(unknownTypeID, "DeleteContact", "{}")),
                text(deepObject),
            ]
            let createID = UUID().uuidString.lowercased()
            let interactionID = UUID().uuidString.lowercased()
            let valid: [KafkaOutgoingMessage] = [
                text(
                    envelope(createID, "CreateContact", #"{"first_name": "Still", "last_name": "Working"}"#), key: nil),
                text(
                    envelope(interactionID, "AddInteraction", #"{"type": "call", "description": "after the poison"}"#)),
            ]

            let worker = try harness.startWorker()
            // Poison first, interleaved, then valid commands behind it on the same partition.
            try await harness.send(deadLetters + unprocessable + valid)
            let results = try await harness.read(harness.topics.results, count: unprocessable.count + valid.count)
                .map(PublishedResult.init)
            let published = try await harness.read(harness.topics.deadLetters, count: deadLetters.count)
            #expect(worker.health.notReadyReason == nil)
            try await worker.stop()

            #expect(
                try await harness.messageCount(harness.topics.deadLetters) == Int64(deadLetters.count), "seed \(seed)")
            #expect(try await harness.messageCount(harness.topics.results) == Int64(unprocessable.count + valid.count))
            #expect(try await harness.messageCount(harness.topics.events) == 2)

            let statuses = Dictionary(uniqueKeysWithValues: results.map { ($0.commandID ?? "", $0.status ?? 0) })
            #expect(
                statuses == [
                    wrongEnvelopeID: 422, wrongCreateID: 422, wrongInteractionID: 422, wrongStatusID: 422,
                    unknownTypeID: 422, deepID: 422,
                    createID: 201, interactionID: 201,
                ])
            for result in results where result.status == 422 {
                let problems = result.body?["detail"]?.arrayValue ?? []
                #expect(!problems.isEmpty)
                for problem in problems {
                    #expect(problem["loc"]?.arrayValue?.first?.stringValue == "body")
                    #expect(problem["msg"]?.stringValue != nil)
                    #expect(problem["type"]?.stringValue != nil)
                }
            }
            let envelopeProblems = results.first { $0.commandID == wrongEnvelopeID }?.body?["detail"]?.arrayValue ?? []
            let fields = Set(envelopeProblems.compactMap { $0["loc"]?.arrayValue?.last?.stringValue })
            #expect(fields.isSuperset(of: ["type", "business_id", "contact_id", "issued_at", "payload"]))

            // Dead letters of one key reach the topic in offset order; across keys the publisher may
            // interleave them (a key's next message goes out once the one before it was delivered).
            let offsetsByKey = Dictionary(grouping: published, by: { $0.key ?? [] }).mapValues { letters in
                letters.compactMap { $0.header("x-original-offset").flatMap(Int.init) }
            }
            #expect(
                offsetsByKey.values.allSatisfy { $0 == $0.sorted() },
                "per-key order of the dead letters: \(offsetsByKey)")
            let dlq = published.sorted {
                ($0.header("x-original-offset").flatMap(Int.init) ?? 0)
                    < ($1.header("x-original-offset").flatMap(Int.init) ?? 0)
            }
            // Dead letters keep their original key and value, with the offsets they had. The 2 MiB
            // value is cut to what a producer can always publish, and its size is recorded.
            let limit = CommandBatchProcessor.deadLetterValueLimit
            #expect(
                dlq.map(\.value)
                    == deadLetters.map { $0.value.count > limit ? Array($0.value.prefix(limit)) : $0.value },
                "seed \(seed)")
            #expect(
                dlq.map { $0.header("x-original-value-bytes") }
                    == deadLetters.map { $0.value.count > limit ? String($0.value.count) : nil })
            let keyLimit = CommandBatchProcessor.deadLetterKeyLimit
            #expect(dlq.map(\.key) == deadLetters.map { $0.key.map { Array($0.prefix(keyLimit)) } })
            #expect(
                dlq.map { $0.header("x-original-key-bytes") }
                    == deadLetters.map { ($0.key?.count ?? 0) > keyLimit ? "200000" : nil })
            #expect(dlq.map { $0.header("x-original-offset") } == (0..<deadLetters.count).map { String($0) })
            #expect(dlq.allSatisfy { $0.header("x-original-partition") == "0" && $0.header("x-error-reason") != nil })
            #expect(dlq.allSatisfy { $0.header("authorization") == "Bearer \(token)" })
            // Headers past the 256 KiB budget are left out, and their original total is recorded.
            let authBytes = "authorization".utf8.count + "Bearer \(token)".utf8.count
            #expect(
                dlq.last?.headers.map(\.name) == [
                    "authorization", "x-original-headers-bytes", "x-original-key-bytes", "x-error-reason",
                    "x-original-topic", "x-original-partition",
                    "x-original-offset", "x-original-timestamp",
                ])
            #expect(dlq.last?.header("x-original-headers-bytes") == String(authBytes + 5 + 300_000 + 7 + 5))
            #expect(dlq.dropLast().allSatisfy { $0.header("x-original-headers-bytes") == nil })

            let contactID = try #require(UUID(uuidString: contact))
            #expect(try await harness.store.interactions(contactID: contactID, skip: 0, limit: 10).total == 1)
            let offsets = try await harness.store.offsets(group: worker.groupID, topic: topic)
            #expect(offsets[0] == Int64(deadLetters.count + unprocessable.count + valid.count))
        }
    }

    @Test(
        "values no store could keep and results no broker would take get a result, never a dead letter or a stall",
        arguments: Backend.available)
    func unstorableValues(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 1) { harness in
            let token = try await harness.token()
            let contact = "00000000-0000-4000-8000-0000000000b2"
            let nul = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"first_name": "a\u0000b"}"#, token: token)
            let nulName = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"first_name": "Ada"}"#,
                token: try await harness.token(name: "Ada\u{0}Owner"))
            let ancient = TestCommand(
                type: "CreateContact", contactID: contact, issuedAt: "0000-01-01T00:00:00+01:00",
                payload: #"{"first_name": "Ada"}"#,
                token: token)
            let longCorrelation = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"first_name": "Ada"}"#, token: token,
                correlationID: String(repeating: "c", count: 600_000))
            let longID = String(repeating: "k", count: 3_000)
            let longCommandID = TestCommand(
                raw:
                    #"{"command_id": "\#(longID)", "type": "CreateContact", "business_id": "biz-1", "contact_id": "\#(contact)", "payload": {}}"#,
                contactID: contact, token: token)
            // The same invalid command_id again, for another command: a 422 again, not a 409 (an
            // invalid id is no idempotency key and is never remembered).
            let sameLongCommandID = TestCommand(
                raw:
                    #"{"command_id": "\#(longID)", "type": "CreateContact", "business_id": "biz-1", "contact_id": "\#(contact)", "payload": {"first_name": "Other"}}"#,
                contactID: contact, token: token)
            let valid = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"first_name": "Still"}"#, token: token)
            let commands = [nul, nulName, ancient, longCorrelation, longCommandID, sameLongCommandID, valid]

            let worker = try harness.startWorker()
            try await harness.send(commands.map(harness.message))
            let results = try await harness.read(harness.topics.results, count: commands.count).map(
                PublishedResult.init)
            #expect(worker.health.notReadyReason == nil)
            try await worker.stop()

            #expect(results.map(\.status) == [422, 401, 422, 422, 422, 422, 201])
            #expect(
                results.map(\.commandID) == [
                    nul.commandID, nulName.commandID, ancient.commandID, longCorrelation.commandID,
                    String(longID.prefix(255)),
                    String(longID.prefix(255)), valid.commandID,
                ])
            #expect(
                results[5].body?["detail"]?.arrayValue?.first?["loc"]
                    == .array([.string("body"), .string("command_id")]))
            #expect(try await harness.store.processedCommands(ids: [String(longID.prefix(255))]).isEmpty)
            #expect(results.allSatisfy { $0.message.value.count < 10_000 })
            #expect(results[3].json["correlation_id"]?.stringValue == String(repeating: "c", count: 255))
            #expect(results[3].message.header("correlation-id") == String(repeating: "c", count: 255))
            #expect(results[0].body?["detail"]?.arrayValue?.first?["type"]?.stringValue == "value_error")
            #expect(
                results[2].body?["detail"]?.arrayValue?.first?["loc"]
                    == .array([.string("body"), .string("issued_at")]))
            #expect(
                results[3].body?["detail"]?.arrayValue?.first?["loc"]
                    == .array([.string("header"), .string("correlation-id")]))
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 0)
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
            #expect(stored?.firstName == "Still")
        }
    }
}
