import ContactDomain
import ContactStore
import ContactWorkerHarness
import Foundation
import Kafka

/// What the churn test checks on top of ``FinalStateCheck`` (which already holds every result
/// status, the stored state and totals per contact, every accepted command's event and no dead
/// letters): the serial model's answer in every `UpdateStatus` result, and what a subscriber sees.
///
/// - results topic: each `UpdateStatus` result (the first copy that is not `duplicate: true`)
///   carries the model's `old_status`, `new_status` and stages, or its 400 `detail`; per contact
///   the results come in command order;
/// - events topic, de-duplicated by event id in topic order (a contact's events share a
///   partition): each contact's `StatusChanged` events form exactly the model's chain, and its
///   events carry `contactversion` 1, 2, 3, … in that order, each the version the model gives
///   the event's command. A re-delivered copy (same id) may come again later, after newer events:
///   at-least-once delivery, which a subscriber drops by its version. Those copies are counted,
///   not failed;
/// - database: each contact's stored `version`.
struct ChurnCheck {
    struct Report: Sendable {
        var problems: [String] = []
        /// Event copies whose id came before.
        var redeliveredEvents = 0
        /// Of those, copies that came after a newer event of their contact.
        var redeliveredBehind = 0
        var statusChanges = 0
    }

    let plan: ChurnPlan
    let finalState: FinalStateCheck

    func run() async throws -> Report {
        var report = Report()
        func problem(_ text: String) {
            if report.problems.count < 40 { report.problems.append(text) }
            if report.problems.count == 40 { report.problems.append("… (further churn problems not listed)") }
        }
        let harness = finalState.harness
        let contactOf = Dictionary(uniqueKeysWithValues: plan.scenario.commands.map { ($0.commandID, $0.contactID) })
        func describe(_ command: String) -> String {
            let contact = contactOf[command] ?? "-"
            let partition = UUID(uuidString: contact).flatMap { plan.partitions[$0] }.map { "\($0)" } ?? "-"
            return "command \(command) (contact \(contact), commands partition \(partition))"
        }

        // MARK: Results
        let results = try await finalState.readAll(harness.topics.results).sorted(by: Self.topicOrder)
        var firstResults: [String: PublishedResult] = [:]
        var resultOrder: [UUID: [String]] = [:]
        for message in results {
            guard let result = try? PublishedResult(message), result.duplicate == false, let id = result.commandID,
                firstResults[id] == nil,
                let contact = result.json["contact_id"]?.stringValue.flatMap(UUID.init(uuidString:))
            else { continue }
            firstResults[id] = result
            resultOrder[contact, default: []].append(id)
        }
        for (id, expected) in plan.statusOutcomes {
            guard let result = firstResults[id] else { continue }  // FinalStateCheck reports it missing
            let got = Self.outcome(result)
            if got != expected {
                problem("\(describe(id)): result \(got.map(\.description) ?? "\(result.json)"), model \(expected)")
            }
        }
        for (contact, expected) in plan.commandsByContact {
            // Results of commands the plan does not hold are FinalStateCheck's to report.
            let known = Set(expected)
            let got = (resultOrder[contact] ?? []).filter(known.contains)
            let present = Set(got)
            let comparable = expected.filter(present.contains)
            if got != comparable,
                let index = (0..<min(got.count, comparable.count)).first(where: { got[$0] != comparable[$0] })
            {
                problem(
                    "contact \(contact.lowercasedString): results out of command order at #\(index): \(got[index]) came where \(comparable[index]) belongs"
                )
            }
        }

        // MARK: Events
        let events = try await finalState.readAll(harness.topics.events).sorted(by: Self.topicOrder)
        var seen: Set<String> = []
        var lastVersion: [String: Int] = [:]
        var newestVersion: [String: Int] = [:]
        var chains: [String: [ChurnPlan.StatusChange]] = [:]
        for message in events {
            guard let event = try? JSONValue.parse(message.value), let id = event["id"]?.stringValue,
                let subject = event["subject"]?.stringValue, let command = event["commandid"]?.stringValue,
                let version = event["contactversion"]?.intValue
            else {
                problem(
                    "event at \(message.topicPartition)@\(message.offset) without id, subject, commandid or an integer contactversion"
                )
                continue
            }
            let place = "events \(message.partition)@\(message.offset)"
            guard seen.insert(id).inserted else {
                report.redeliveredEvents += 1
                if version < newestVersion[subject] ?? 0 { report.redeliveredBehind += 1 }
                continue
            }
            newestVersion[subject] = max(newestVersion[subject] ?? 0, version)
            if let expected = plan.versions[command], version != expected {
                problem("\(describe(command)): event at \(place) carries contactversion \(version), model \(expected)")
            }
            let previous = lastVersion[subject] ?? 0
            if version <= previous {
                problem(
                    "contact \(subject): contactversion decreases to \(version) after \(previous) at \(place) (\(describe(command)))"
                )
            } else if version != previous + 1 {
                problem(
                    "contact \(subject): contactversion jumps from \(previous) to \(version) at \(place) (\(describe(command)))"
                )
            }
            lastVersion[subject] = version
            if event["type"]?.stringValue == ContactEventType.statusChanged.rawValue {
                report.statusChanges += 1
                if let change = Self.change(event["data"]) {
                    chains[subject, default: []].append(change)
                } else {
                    problem("StatusChanged at \(place) without old/new status and stage")
                }
            }
        }
        for (contact, expected) in plan.chains {
            let got = chains[contact.lowercasedString] ?? []
            guard got != expected else { continue }
            let common = min(got.count, expected.count)
            let index = (0..<common).first { got[$0] != expected[$0] } ?? common
            problem(
                "contact \(contact.lowercasedString) (commands partition \(plan.partitions[contact].map { "\($0)" } ?? "-")): "
                    + "\(got.count) StatusChanged, model \(expected.count); first difference at #\(index): "
                    + "\(index < got.count ? got[index].description : "none") vs model \(index < expected.count ? expected[index].description : "none")"
            )
        }

        // MARK: Database
        for expected in plan.scenario.contacts {
            let stored = try await harness.store.contact(id: expected.id, businessID: Scenario.business)
            let version = expected.history + expected.interactions
            if let stored, stored.version != version {
                problem("contact \(expected.id.lowercasedString): stored version \(stored.version), model \(version)")
            }
        }
        return report
    }

    /// Partition, then offset: each partition in the order subscribers read it.
    private static func topicOrder(_ a: KafkaMessage, _ b: KafkaMessage) -> Bool {
        (a.partition, a.offset) < (b.partition, b.offset)
    }

    /// What an `UpdateStatus` result says, in the model's terms.
    private static func outcome(_ result: PublishedResult) -> ChurnPlan.StatusOutcome? {
        switch result.status {
        case 200: change(result.body).map { .changed($0) }
        case 400: result.body?["detail"]?.stringValue.map { .refused($0) }
        default: nil
        }
    }

    /// The status change in a result body or `StatusChanged` data.
    private static func change(_ body: JSONValue?) -> ChurnPlan.StatusChange? {
        guard let body,
            let from = body["old_status"]?.stringValue.flatMap(RelationshipStatus.init(rawValue:)),
            let to = body["new_status"]?.stringValue.flatMap(RelationshipStatus.init(rawValue:)),
            let fromStage = body["old_lifecycle_stage"]?.stringValue.flatMap(LifecycleStage.init(rawValue:)),
            let toStage = body["new_lifecycle_stage"]?.stringValue.flatMap(LifecycleStage.init(rawValue:))
        else { return nil }
        return ChurnPlan.StatusChange(from: from, to: to, fromStage: fromStage, toStage: toStage)
    }
}
