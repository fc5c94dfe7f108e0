import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

/// The crash, scale-out and fault tests are only as good as their shared check, so the check
/// itself must be seen failing: on a correct run it finds nothing, and it names every kind of
/// damage those tests are there to catch.
@Suite("The final state check of the process-level tests")
struct FinalStateCheckTests {
    @Test(
        "finds nothing after a clean run; names a lost command, a doubled interaction, a changed re-published event and a duplicate result"
    )
    func noticesEveryKindOfDamage() async throws {
        try await withHarness(.sqlite, commandPartitions: 4, outputPartitions: 2) { harness in
            let token = try await harness.token()
            let scenario = Scenario(contacts: 10, total: 200, seed: 7, token: token)
            let group = "check-\(UUID().uuidString.prefix(8).lowercased())"
            let check = FinalStateCheck(harness: harness, scenario: scenario, group: group)

            let worker = try harness.startWorker(group: group)
            try await harness.send(scenario.commands.map(harness.message))
            try await check.waitUntilProcessed(seconds: 60)
            try await worker.stop()
            let clean = try await check.run()
            #expect(clean.problems == [])
            #expect(clean.resultMessages == 200)
            #expect(clean.eventMessages == scenario.acceptedCount)

            // A command the run lost: the same seed with one command more expects it.
            let longer = Scenario(contacts: 10, total: 201, seed: 7, token: token)
            #expect(longer.commands.prefix(200).map(\.commandID) == scenario.commands.map(\.commandID))
            let lost = try await FinalStateCheck(harness: harness, scenario: longer, group: group).run().problems
            let lostID = try #require(longer.commands.last?.commandID)
            #expect(lost.contains("no result for command \(lostID)"))
            #expect(lost.contains("200 idempotency records, expected 201"))
            #expect(lost.contains("the commands topic holds 200 messages, expected 201"))

            // An interaction applied twice, an event re-published with other bytes, a duplicate result.
            let contact = try #require(scenario.contacts.first(where: { $0.interactions > 0 }))
            var doubled = StoreBatch()
            doubled.interactions = [
                Interaction(
                    id: UUID(), contactID: contact.id, type: .note, description: "applied twice",
                    timestamp: Timestamp(microsecondsSinceEpoch: 0),
                    outcome: nil, nextAction: nil, scheduledFollowUp: nil, performedBy: "Ada Owner",
                    performedByID: "u-1")
            ]
            try await harness.store.apply(doubled)

            let events = try await harness.read(harness.topics.events, count: scenario.acceptedCount)
            let original = try #require(events.first)
            let changed = try replacing("source", with: .string("someone-else"), in: JSONValue.parse(original.value))
            let eventID = try #require(changed["id"]?.stringValue)
            let results = try await harness.read(harness.topics.results, count: 200)
            let result = try #require(results.first)
            let duplicate = try replacing("duplicate", with: .bool(true), in: JSONValue.parse(result.value))
            let duplicateID = try #require(duplicate["command_id"]?.stringValue)
            try await harness.send([
                KafkaOutgoingMessage(topic: harness.topics.events, key: original.key, value: changed.encoded()),
                KafkaOutgoingMessage(topic: harness.topics.results, key: result.key, value: duplicate.encoded()),
            ])

            let damaged = try await check.run().problems
            let name = contact.id.uuidString.lowercased()
            #expect(
                damaged.contains(
                    "contact \(name): \(contact.interactions + 1) interactions, expected \(contact.interactions)"))
            #expect(damaged.contains("event \(eventID) was published twice with different bytes"))
            #expect(damaged.contains("command \(duplicateID) was processed twice: a result says duplicate: true"))
            #expect(damaged.contains("command \(duplicateID): re-published results differ from the first"))
            #expect(damaged.count == 4, "\(damaged)")
        }
    }

    private func replacing(_ key: String, with value: JSONValue, in object: JSONValue) throws -> JSONValue {
        let members = try #require(object.objectMembers)
        return .object(members.map { $0.key == key ? JSONValue.Member(key, value) : $0 })
    }
}
