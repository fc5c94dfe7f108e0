import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

/// The one check the process-level tests share: after a ``Scenario`` went through workers that
/// were killed, stopped, added or starved of their broker or database, the database and the
/// topics must hold exactly what applying every command once, in order, produces.
///
/// - database: per contact the exact status, stage, `last_contacted`, number of interactions,
///   status-history entries and stored events; one idempotency record per command with the
///   expected status; stored offsets at the end of every partition; an empty outbox;
/// - results topic: every command's result with the expected status, never `duplicate: true`
///   (no command was applied twice), re-published copies identical to the first; with
///   ``toleratesDuplicateResults`` a `duplicate: true` copy is allowed (and counted) when it
///   carries the original's status and body;
/// - events topic: every accepted command's event, no other; copies of an event only with the same
///   id and the same bytes; per contact in command order;
/// - dead-letter topic: empty.
struct FinalStateCheck {
    /// What the check found; `problems` is empty when everything matched.
    struct Report: Sendable {
        var problems: [String] = []
        var resultMessages = 0
        var eventMessages = 0
        var republishedResults = 0
        var republishedEvents = 0
        /// Results with `duplicate: true` (only without problems with ``toleratesDuplicateResults``).
        var duplicateResults = 0
    }

    let harness: WorkerHarness
    let scenario: Scenario
    let group: String
    /// Whether a command's result may also come as `duplicate: true` with the original status and
    /// body: a worker that re-planned a command another writer had just applied (issue 18,
    /// defect 4) answers it as a duplicate.
    var toleratesDuplicateResults = false

    /// Waits until the database's stored offsets reach the end of every commands partition and the
    /// outbox is empty, i.e. every command was processed and published. Database errors (an outage
    /// being injected) are waited out; a worker of `running` that ends fails the wait at once.
    /// `sent` is how many of the scenario's commands were sent so far (default: all of them).
    func waitUntilProcessed(seconds: Double, running: [ChildProcess] = [], sent: Int? = nil) async throws {
        let total = Int64(sent ?? scenario.commands.count)
        _ = try await within(seconds, "the workers to process all \(total) commands") {
            while true {
                if let dead = running.first(where: { !$0.isRunning }) {
                    throw ChildProcessError(
                        description: "\(dead.name) \(dead.poll().map(\.description) ?? "ended") on its own")
                }
                if let done = try? await self.processedCount(), done >= total,
                    (try? await self.harness.store.pendingOutbox(limit: 1).isEmpty) == true
                {
                    return true
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// How many commands the database says were consumed (sum of stored next offsets).
    func processedCount() async throws -> Int64 {
        try await harness.store.offsets(group: group, topic: harness.topics.commands).values.reduce(0, +)
    }

    /// Waits until the database shows at least `target` commands consumed; a worker of `running`
    /// that ends fails the wait at once.
    func waitForProgress(_ target: Int64, running: [ChildProcess], seconds: Double = 120) async throws {
        _ = try await within(seconds, "\(target) processed commands") {
            while (try? await self.processedCount()) ?? 0 < target {
                if let dead = running.first(where: { !$0.isRunning }) {
                    throw ChildProcessError(
                        description: "\(dead.name) \(dead.poll().map(\.description) ?? "ended") on its own")
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            return true
        }
    }

    func run() async throws -> Report {
        var report = Report()
        func problem(_ text: String) {
            if report.problems.count < 40 { report.problems.append(text) }
            if report.problems.count == 40 { report.problems.append("… (further problems not listed)") }
        }
        let store = harness.store

        // MARK: Database
        for expected in scenario.contacts {
            let name = expected.id.uuidString.lowercased()
            guard let contact = try await store.contact(id: expected.id, businessID: Scenario.business) else {
                problem("contact \(name) is missing")
                continue
            }
            if contact.relationshipStatus != expected.status {
                problem(
                    "contact \(name): status \(contact.relationshipStatus.rawValue), expected \(expected.status.rawValue)"
                )
            }
            if contact.lifecycleStage != expected.stage {
                problem(
                    "contact \(name): stage \(contact.lifecycleStage.rawValue), expected \(expected.stage.rawValue)")
            }
            if contact.lastContacted != expected.lastContacted {
                problem(
                    "contact \(name): last_contacted \(String(describing: contact.lastContacted)), expected \(String(describing: expected.lastContacted))"
                )
            }
            let interactions = try await store.interactions(contactID: expected.id, skip: 0, limit: 1).total
            if interactions != expected.interactions {
                problem("contact \(name): \(interactions) interactions, expected \(expected.interactions)")
            }
            let history = try await store.statusHistory(contactID: expected.id, skip: 0, limit: 1).total
            if history != expected.history {
                problem("contact \(name): \(history) status-history entries, expected \(expected.history)")
            }
            let events = try await store.events(.contact(expected.id))
            if events.map(\.commandID) != expected.acceptedCommands {
                problem(
                    "contact \(name): \(events.count) stored events, expected \(expected.acceptedCommands.count) in command order"
                )
            }
        }

        let ids = scenario.commands.map(\.commandID)
        var records = 0
        for start in stride(from: 0, to: ids.count, by: 500) {
            let found = try await store.processedCommands(ids: Array(ids[start..<min(start + 500, ids.count)]))
            records += found.count
            for (id, record) in found where record.resultStatus != scenario.expectedStatus[id] {
                problem(
                    "processed command \(id): status \(record.resultStatus), expected \(scenario.expectedStatus[id] ?? -1)"
                )
            }
        }
        if records != ids.count { problem("\(records) idempotency records, expected \(ids.count)") }

        let stored = try await store.offsets(group: group, topic: harness.topics.commands)
        let commandMarks = try await watermarks(harness.topics.commands)
        for (partition, marks) in commandMarks where stored[partition] ?? 0 != marks.high {
            problem("commands partition \(partition): stored offset \(stored[partition] ?? 0), end \(marks.high)")
        }
        if commandMarks.values.reduce(0, { $0 + $1.high }) != Int64(ids.count) {
            problem(
                "the commands topic holds \(commandMarks.values.reduce(0) { $0 + $1.high }) messages, expected \(ids.count)"
            )
        }
        let pending = try await store.pendingOutbox(limit: 100).count
        if pending != 0 { problem("\(pending) outbox rows still pending") }

        // MARK: Results
        let results = try await readAll(harness.topics.results)
        report.resultMessages = results.count
        var resultsByCommand: [String: [PublishedResult]] = [:]
        for message in results {
            guard let result = try? PublishedResult(message), let id = result.commandID else {
                problem("unparseable result at \(message.topicPartition)@\(message.offset)")
                continue
            }
            resultsByCommand[id, default: []].append(result)
        }
        for id in ids {
            let all = resultsByCommand[id] ?? []
            let copies = toleratesDuplicateResults ? all.filter { $0.duplicate == false } : all
            guard let first = copies.first else {
                problem("no result for command \(id)\(all.isEmpty ? "" : " other than duplicate: true")")
                continue
            }
            if first.status != scenario.expectedStatus[id] {
                problem("result of \(id): status \(first.status ?? -1), expected \(scenario.expectedStatus[id] ?? -1)")
            }
            if copies.contains(where: { $0.duplicate != false }) {
                problem("command \(id) was processed twice: a result says duplicate: true")
            }
            if copies.contains(where: { $0.message.value != first.message.value }) {
                problem("command \(id): re-published results differ from the first")
            }
            report.republishedResults += copies.count - 1
            for duplicate in all where toleratesDuplicateResults && duplicate.duplicate != false {
                report.duplicateResults += 1
                if duplicate.status != first.status || duplicate.body?.canonicalized != first.body?.canonicalized {
                    problem(
                        "command \(id): a duplicate: true result carries \(duplicate.status ?? -1) \(duplicate.body.map { "\($0)" } ?? "-"), the original \(first.status ?? -1) \(first.body.map { "\($0)" } ?? "-")"
                    )
                }
            }
        }
        let unknownResults = Set(resultsByCommand.keys).subtracting(ids)
        if !unknownResults.isEmpty { problem("\(unknownResults.count) results for commands never sent") }

        // MARK: Events
        let events = try await readAll(harness.topics.events)
        report.eventMessages = events.count
        var eventsByID: [String: [UInt8]] = [:]
        var firstSeen: [String: [String]] = [:]  // contact → command ids of first copies, in topic order
        var firstOffsets: [String: [String]] = [:]  // contact → where each first copy lies
        var eventCommands: Set<String> = []
        for message in events {
            guard let event = try? JSONValue.parse(message.value), let id = event["id"]?.stringValue,
                let command = event["commandid"]?.stringValue, let subject = event["subject"]?.stringValue
            else {
                problem("unparseable event at \(message.topicPartition)@\(message.offset)")
                continue
            }
            if let previous = eventsByID[id] {
                report.republishedEvents += 1
                if previous != message.value { problem("event \(id) was published twice with different bytes") }
                continue
            }
            eventsByID[id] = message.value
            if !eventCommands.insert(command).inserted { problem("command \(command) has two different event ids") }
            firstSeen[subject, default: []].append(command)
            let created = message.timestamp.map { "\($0.milliseconds) ms" } ?? "-"
            let place = "\(message.topicPartition)@\(message.offset)"
            firstOffsets[subject, default: []].append("\(place) (created \(created))")
        }
        for expected in scenario.contacts {
            let name = expected.id.uuidString.lowercased()
            let published = firstSeen[name] ?? []
            if published != expected.acceptedCommands {
                let missing = Set(expected.acceptedCommands).subtracting(published).count
                let extra = Set(published).subtracting(expected.acceptedCommands).count
                var order = missing == 0 && extra == 0 ? ", out of order" : ""
                if missing == 0, extra == 0,
                    let position = (0..<min(published.count, expected.acceptedCommands.count)).first(where: {
                        published[$0] != expected.acceptedCommands[$0]
                    })
                {
                    let offsets = firstOffsets[name] ?? []
                    let expectedAt = published.firstIndex(of: expected.acceptedCommands[position]) ?? -1
                    order =
                        ", out of order: the first copy of event #\(position) is command \(published[position]) at "
                        + "\(offsets[position]), expected command \(expected.acceptedCommands[position]), first at "
                        + "\(expectedAt >= 0 ? offsets[expectedAt] : "-")"
                }
                problem(
                    "contact \(name): \(published.count) events on the topic, expected \(expected.acceptedCommands.count) "
                        + "(\(missing) missing, \(extra) unexpected\(order))"
                )
            }
        }
        if eventsByID.count != scenario.acceptedCount {
            problem("\(eventsByID.count) distinct events, expected \(scenario.acceptedCount)")
        }

        // MARK: Dead letters
        let deadLetters = try await harness.messageCount(harness.topics.deadLetters)
        if deadLetters != 0 { problem("\(deadLetters) dead letters, expected none") }
        return report
    }

    // MARK: - Reading topics

    private func watermarks(_ topic: String) async throws -> [Int32: (low: Int64, high: Int64)] {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: harness.cluster.bootstrapServers, groupID: nil)
        configuration.set("topic.metadata.refresh.interval.ms", "1000")
        let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger)
        var marks: [Int32: (low: Int64, high: Int64)] = [:]
        for partition in try await consumer.partitions(of: topic) {
            marks[partition.partition] = try await consumer.watermarks(topic: topic, partition: partition.partition)
        }
        await consumer.close()
        return marks
    }

    /// Every message of `topic`, failing if the mock dropped old ones (it keeps ~5 MB per partition).
    func readAll(_ topic: String) async throws -> [KafkaMessage] {
        let marks = try await watermarks(topic)
        let truncated = marks.filter { $0.value.low != 0 }
        try #require(
            truncated.isEmpty,
            "the mock cluster dropped the start of \(topic) partitions \(truncated.keys.sorted()): use more partitions")
        let count = marks.values.reduce(0) { $0 + Int($1.high) }
        return try await harness.read(topic, count: count, seconds: 120)
    }
}
