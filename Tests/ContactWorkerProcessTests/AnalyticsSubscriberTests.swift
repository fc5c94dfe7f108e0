import ContactDomain
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

/// `examples/analytics-subscriber`, the reference consumer docs/contract.md §7 points to: a Python
/// program on confluent-kafka (librdkafka of its own, not the worker's) reading the events a real
/// `contact-worker run` published. Skipped, and reported so, where the checks venv is missing.
@Suite(
    "examples/analytics-subscriber: a Python subscriber builds the funnel of a scripted day from the events (docs/contract.md §7)",
    .enabled(if: AnalyticsSubscriber.isAvailable, Comment(rawValue: AnalyticsSubscriber.missing)))
struct AnalyticsSubscriberTests {
    @Test("the example's own tests of its version rule pass")
    func unitTests() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "analytics-unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = try await AnalyticsSubscriber(brokers: "", directory: directory).unitTests()
        #expect(output.contains("\nOK"), "\(output)")
    }

    @Test(
        "exact numbers after the worker's day; unchanged when re-read by a new group, after a re-published copy, and when every contact's events arrive newest first"
    )
    func funnelOfAScriptedDay() async throws {
        try await withHarness(.sqlite, commandPartitions: 3, outputPartitions: 3) { harness in
            let directory = try #require(harness.directory)
            let day = try await AnalyticsDay(harness: harness)
            let expected = day.expectedFunnel
            let processes = try WorkerProcesses(
                harness: harness, group: "analytics-\(UUID().uuidString.prefix(8).lowercased())")
            defer { processes.removeLogs() }
            let worker = try processes.start("worker")
            do {
                try await harness.send(day.steps.map { harness.message($0.command) })
                try await harness.waitForCount(harness.topics.results, atLeast: Int64(day.steps.count), seconds: 120)
                try await harness.waitForCount(harness.topics.events, atLeast: Int64(day.accepted.count), seconds: 60)
                worker.send(SIGTERM)
                #expect(try await worker.waitForExit(seconds: 30) == .exited(0), "\(processes.tails())")
            } catch {
                await processes.killAll()
                throw error
            }
            // The day is what the test thinks it is: every command got its planned status.
            let results = try await harness.read(harness.topics.results, count: day.steps.count)
            var statuses: [String: Int] = [:]
            for message in results {
                let result = try PublishedResult(message)
                if let id = result.commandID, statuses[id] == nil { statuses[id] = result.status }
            }
            let planned = Dictionary(uniqueKeysWithValues: day.steps.map { ($0.command.commandID, $0.expectedStatus) })
            #expect(statuses == planned)
            #expect(try await harness.messageCount(harness.topics.events) == Int64(day.accepted.count))

            let subscriber = AnalyticsSubscriber(brokers: harness.cluster.bootstrapServers, directory: directory)
            let events = harness.topics.events
            let database = directory.appendingPathComponent("analytics.sqlite")

            // 1. The whole topic, once.
            let first = try await subscriber.consume(topic: events, group: "analytics-1", database: database)
            #expect(first.contains(": \(day.accepted.count) applied, \(day.accepted.count) messages"), "\(first)")
            try await expectReport(subscriber, database, expected, "after the first read")

            // 2. A new group reads everything again: every event is a copy.
            let reread = try await subscriber.consume(topic: events, group: "analytics-2", database: database)
            #expect(reread.contains(": \(day.accepted.count) duplicate, \(day.accepted.count) messages"), "\(reread)")
            try await expectReport(subscriber, database, expected, "after a new group read it all again")

            // 3. An interaction's event published again (at-least-once delivery, a `republish`),
            // after later events of its contact; the first group reads only that copy.
            let published = try await harness.read(events, count: day.accepted.count)
            let interaction = try #require(
                published.first { message in
                    (try? JSONValue.parse(message.value))?["type"]?.stringValue == "InteractionRecorded"
                })
            try await harness.send([
                KafkaOutgoingMessage(
                    topic: events, partition: interaction.partition, key: interaction.key, value: interaction.value,
                    headers: interaction.headers)
            ])
            let copy = try await subscriber.consume(topic: events, group: "analytics-1", database: database)
            #expect(copy.contains(": 1 duplicate, 1 messages"), "\(copy)")
            try await expectReport(subscriber, database, expected, "after a re-published copy")

            // 4. Gaps: the same events on another topic, each contact's newest first and its
            // `ContactCreated` held back. A fresh funnel counts nothing and holds every event; once
            // the creations arrive, it has the day's numbers.
            let reordered = "events-reordered-\(UUID().uuidString.prefix(8).lowercased())"
            try harness.cluster.createTopic(reordered, partitions: 3)
            let newestFirst = published.sorted { version(of: $0) > version(of: $1) }
            let creations = newestFirst.filter { version(of: $0) == 1 }
            #expect(creations.count == day.contactCount)
            func copies(_ messages: [KafkaMessage]) -> [KafkaOutgoingMessage] {
                messages.map {
                    KafkaOutgoingMessage(
                        topic: reordered, partition: $0.partition, key: $0.key, value: $0.value, headers: $0.headers)
                }
            }
            try await harness.send(copies(newestFirst.filter { version(of: $0) > 1 }))
            let fresh = directory.appendingPathComponent("analytics-reordered.sqlite")
            let held = day.accepted.count - day.contactCount
            let gaps = try await subscriber.consume(topic: reordered, group: "analytics-3", database: fresh)
            #expect(gaps.contains(": \(held) held, \(held) messages"), "\(gaps)")
            try await expectReport(
                subscriber, fresh, AnalyticsFunnel(pendingEvents: held), "with every creation missing")
            try await harness.send(copies(creations))
            let filled = try await subscriber.consume(topic: reordered, group: "analytics-3", database: fresh)
            #expect(filled.contains(": \(day.contactCount) applied, \(day.contactCount) messages"), "\(filled)")
            try await expectReport(subscriber, fresh, expected, "once the creations came")
        }
    }

    /// Expects `subscriber report` on `database` to print `expected`, and shows both when not.
    private func expectReport(
        _ subscriber: AnalyticsSubscriber, _ database: URL, _ expected: AnalyticsFunnel, _ when: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let funnel = try await subscriber.report(database: database)
        #expect(funnel == expected, "\(when): got\n\(funnel)\nexpected\n\(expected)", sourceLocation: sourceLocation)
    }

    /// An event's `contactversion` (0 when it has none).
    private func version(of message: KafkaMessage) -> Int {
        (try? JSONValue.parse(message.value))?["contactversion"]?.intValue ?? 0
    }
}
