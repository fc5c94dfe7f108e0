import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

/// The churn test is only as good as its check: seen here finding nothing after a clean run, and
/// naming the damage a worker that decided on another worker's old state leaves behind and what
/// a subscriber must not see.
@Suite("The churn test's check")
struct ChurnCheckTests {
    @Test("finds nothing after a clean run of a churn plan's commands")
    func cleanRun() async throws {
        try await withHarness(.sqlite, commandPartitions: 4, outputPartitions: 2) { harness in
            let plan = ChurnPlan(
                seed: 11, contacts: 8, rounds: 4, token: try await harness.token(), partition: harness.partition(for:))
            let check = try await run(plan, on: harness)

            let report = try await check.run()
            #expect(report.problems == [])
            #expect(report.duplicateResults == 0)
            let churn = try await ChurnCheck(plan: plan, finalState: check).run()
            #expect(churn.problems == [])
            #expect(churn.statusChanges == plan.chains.values.reduce(0) { $0 + $1.count })
            #expect(churn.statusChanges > 0)
        }
    }

    @Test(
        "names results and StatusChanged chains that are not the model's, a contactversion going back, and a duplicate result that differs"
    )
    func staleDecisions() async throws {
        try await withHarness(.sqlite, commandPartitions: 4, outputPartitions: 2) { harness in
            let token = try await harness.token()
            let plan = ChurnPlan(seed: 11, contacts: 8, rounds: 4, token: token, partition: harness.partition(for:))

            // Contact `stale` gets a status change the model does not know of, right after its
            // creation: from its first status step on, the worker decides on a state the model does
            // not have, as a worker deciding on state another worker has since changed would.
            let stale = try #require(plan.scenario.contacts.first { !(plan.chains[$0.id] ?? []).isEmpty })
            let staleID = stale.id.lowercasedString
            let unknown = TestCommand(
                type: "UpdateStatus", contactID: staleID, issuedAt: "2023-06-01T00:00:00Z",
                payload: #"{"relationship_status": "lost_lead"}"#, token: token)
            let check = try await run(plan, on: harness, afterCreation: unknown)

            let firstStep = try #require(plan.commandsByContact[stale.id]?.first { plan.statusOutcomes[$0] != nil })
            let churn = try await ChurnCheck(plan: plan, finalState: check).run()
            #expect(
                churn.problems.contains {
                    $0.hasPrefix("command \(firstStep) (contact \(staleID), ") && $0.contains(", model ")
                })
            #expect(
                churn.problems.contains {
                    $0.hasPrefix("contact \(staleID) (commands partition ") && $0.contains(" StatusChanged, model ")
                })
            #expect(
                churn.problems.allSatisfy { $0.contains(staleID) }, "only the stale contact is named: \(churn.problems)"
            )

            // A StatusChanged of another contact published again under a new id after its later
            // events, as a decision on an old state would be: its version goes back.
            let other = try #require(
                plan.scenario.contacts.first { $0.id != stale.id && !(plan.chains[$0.id] ?? []).isEmpty })
            let otherID = other.id.lowercasedString
            let events = try await harness.read(
                harness.topics.events, count: Int(try await harness.messageCount(harness.topics.events)))
            let change = try #require(
                events.compactMap { try? JSONValue.parse($0.value) }.first {
                    $0["subject"]?.stringValue == otherID && $0["type"]?.stringValue == "StatusChanged"
                })
            let version = try #require(change["contactversion"]?.intValue)
            let again = try replacing("id", with: .string(UUID().uuidString.lowercased()), in: change)

            // Two answers marked duplicate: one with the original status and body (allowed, counted), one not.
            let results = try await harness.read(harness.topics.results, count: plan.scenario.commands.count + 1)
                .map(PublishedResult.init)
            let answered = try #require(results.first { $0.commandID == firstStep })
            let same = try replacing("duplicate", with: .bool(true), in: answered.json)
            let interaction = try #require(
                results.first { $0.status == 201 && $0.json["command_type"] == .string("AddInteraction") })
            let differing = try replacing(
                "status", with: .integer(200), in: replacing("duplicate", with: .bool(true), in: interaction.json))
            try await harness.send([
                KafkaOutgoingMessage(topic: harness.topics.events, key: Array(otherID.utf8), value: again.encoded()),
                KafkaOutgoingMessage(topic: harness.topics.results, key: answered.message.key, value: same.encoded()),
                KafkaOutgoingMessage(
                    topic: harness.topics.results, key: interaction.message.key, value: differing.encoded()),
            ])

            let report = try await check.run()
            #expect(report.duplicateResults == 2)
            let differingID = try #require(interaction.commandID)
            #expect(
                report.problems.contains {
                    $0.hasPrefix("command \(differingID): a duplicate: true result carries 200 ")
                })
            #expect(!report.problems.contains { $0.hasPrefix("command \(firstStep): a duplicate: true") })
            let damaged = try await ChurnCheck(plan: plan, finalState: check).run()
            let last = other.history + other.interactions
            #expect(
                damaged.problems.contains {
                    $0.hasPrefix("contact \(otherID): contactversion decreases to \(version) after \(last) ")
                })
            #expect(
                damaged.problems.contains {
                    $0.hasPrefix("contact \(otherID) (commands partition ") && $0.contains(" StatusChanged, model ")
                })
        }
    }

    /// Sends every command of `plan` through one in-process worker, with `extra` right after the
    /// contacts' creation, and waits until all are processed.
    private func run(
        _ plan: ChurnPlan, on harness: WorkerHarness, afterCreation extra: TestCommand? = nil
    ) async throws -> FinalStateCheck {
        let group = "churn-check-\(UUID().uuidString.prefix(8).lowercased())"
        var check = FinalStateCheck(harness: harness, scenario: plan.scenario, group: group)
        check.toleratesDuplicateResults = true
        let worker = try harness.startWorker(group: group)
        let commands = plan.scenario.commands
        let created = plan.bursts[0].commands
        try await harness.send(
            (commands[created] + (extra.map { [$0] } ?? []) + commands[created.upperBound...]).map(harness.message))
        try await check.waitUntilProcessed(seconds: 60, sent: commands.count + (extra == nil ? 0 : 1))
        try await worker.stop()
        return check
    }

    private func replacing(_ key: String, with value: JSONValue, in object: JSONValue) throws -> JSONValue {
        let members = try #require(object.objectMembers)
        return .object(members.map { $0.key == key ? JSONValue.Member(key, value) : $0 })
    }
}
