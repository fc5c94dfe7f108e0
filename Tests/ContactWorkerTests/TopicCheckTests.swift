import ContactDomain
@testable import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

@Suite("Topics checked at start and periodically (readiness, mismatches)")
struct TopicCheckTests {
    private static let topics = WorkerTopics(
        commands: "contacts.commnds", events: "contacts.events", results: "contacts.command-results",
        deadLetters: "contacts.commands.dlq")

    private static func metadata(
        _ partitions: [String: Int], errors: [String: KafkaErrorCode] = [:]
    ) -> KafkaClusterMetadata {
        KafkaClusterMetadata(
            brokers: ["10.0.0.1:9092", "10.0.0.2:9092"],
            topics: WorkerTopics.Role.allCases.map { role in
                let name = topics[role]
                if let error = errors[name] {
                    return KafkaTopicDescription(name: name, partitionCount: 0, error: error)
                }
                return KafkaTopicDescription(
                    name: name, partitionCount: partitions[name] ?? 0,
                    error: partitions[name] == nil ? .unknownTopicOrPartition : nil)
            })
    }

    @Test("a missing topic is the reason, naming the topic and the brokers; several are listed together")
    func missingTopicReasons() {
        let commandsMissing = TopicCheck(
            topics: Self.topics,
            metadata: Self.metadata([
                "contacts.events": 3, "contacts.command-results": 3, "contacts.commands.dlq": 1,
            ]))
        #expect(
            commandsMissing.problem
                == #"commands topic "contacts.commnds" does not exist on brokers 10.0.0.1:9092,10.0.0.2:9092"#)
        #expect(commandsMissing.unusableTopics == 1)
        #expect(commandsMissing.mismatches.isEmpty)
        #expect(commandsMissing.checkedKinds.isEmpty)

        let outputsMissing = TopicCheck(
            topics: Self.topics, metadata: Self.metadata(["contacts.commnds": 3, "contacts.command-results": 3]))
        #expect(
            outputsMissing.problem
                == #"events topic "contacts.events" and dead-letter topic "contacts.commands.dlq" do not exist on brokers 10.0.0.1:9092,10.0.0.2:9092"#
        )
        #expect(outputsMissing.unusableTopics == 2)

        let unauthorized = TopicCheck(
            topics: Self.topics,
            metadata: Self.metadata(
                ["contacts.commnds": 3, "contacts.events": 3, "contacts.command-results": 3],
                errors: ["contacts.commands.dlq": .topicAuthorizationFailed]))
        #expect(
            unauthorized.problem
                == #"dead-letter topic "contacts.commands.dlq" cannot be used: \#(KafkaErrorCode.topicAuthorizationFailed)"#
        )
    }

    @Test(
        "fewer output partitions than commands, and a shorter dead-letter retention, are mismatches with their numbers")
    func mismatches() {
        var check = TopicCheck(
            topics: Self.topics,
            metadata: Self.metadata([
                "contacts.commnds": 12, "contacts.events": 12, "contacts.command-results": 4,
                "contacts.commands.dlq": 1,
            ]))
        #expect(check.problem == nil)
        #expect(check.unusableTopics == 0)
        #expect(check.checkedKinds == [.eventsPartitions, .resultsPartitions])
        #expect(
            check.mismatches == [
                .init(
                    kind: .resultsPartitions,
                    message:
                        #"results topic "contacts.command-results" has 4 partitions, fewer than the 12 of commands topic "contacts.commnds""#,
                    details: ["partitions": "4", "commands_partitions": "12"])
            ])

        // Without both retentions the kind stays undecided.
        check.compareRetention(topics: Self.topics, configurations: ["contacts.commnds": ["retention.ms": "604800000"]])
        #expect(!check.checkedKinds.contains(.deadLetterRetention))

        var shorter = check
        shorter.compareRetention(
            topics: Self.topics,
            configurations: [
                "contacts.commnds": ["retention.ms": "604800000"],
                "contacts.commands.dlq": ["retention.ms": "86400000"],
            ])
        #expect(shorter.checkedKinds.contains(.deadLetterRetention))
        #expect(
            shorter.mismatches.last
                == .init(
                    kind: .deadLetterRetention,
                    message:
                        #"dead-letter topic "contacts.commands.dlq" keeps messages for 86400000 ms, shorter than commands topic "contacts.commnds" (for 604800000 ms)"#,
                    details: ["retention_ms": "86400000", "commands_retention_ms": "604800000"]))

        var forever = check
        forever.compareRetention(
            topics: Self.topics,
            configurations: [
                "contacts.commnds": ["retention.ms": "-1"], "contacts.commands.dlq": ["retention.ms": "-1"],
            ])
        #expect(forever.checkedKinds.contains(.deadLetterRetention))
        #expect(forever.mismatches.map(\.kind) == [.resultsPartitions])

        var finiteAgainstForever = check
        finiteAgainstForever.compareRetention(
            topics: Self.topics,
            configurations: [
                "contacts.commnds": ["retention.ms": "-1"], "contacts.commands.dlq": ["retention.ms": "604800000"],
            ])
        #expect(finiteAgainstForever.mismatches.map(\.kind) == [.resultsPartitions, .deadLetterRetention])
    }

    /// The 503 body for `reason`, compared as JSON (the reason's quotes are escaped in the body).
    private static func notReady(_ reason: String) throws -> JSONValue {
        try json(
            #"{"status": "not_ready", "reason": \#(String(decoding: JSONEncoder().encode(reason), as: UTF8.self))}"#)
    }

    @Test(
        "a missing topic (commands, or an output) keeps readiness 503 naming it and the brokers and nothing written, until it is created; then commands are processed",
        arguments: [WorkerTopics.Role.commands, .results])
    func missingTopicUntilCreated(role: WorkerTopics.Role) async throws {
        try await withHarness(.sqlite, commandPartitions: 1, absentTopics: [role]) { harness in
            let owner = try await harness.token()
            let contact = UUID().uuidString.lowercased()
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"company_name": "Topic Co"}"#, token: owner)
            // A command waits already when the missing topic is an output: the worker must not take it.
            if role != .commands { try await harness.send([harness.message(create)]) }

            let worker = try await harness.startHTTPWorker()
            let name = harness.topics[role]
            let expected = try Self.notReady(
                "\(role.label) \"\(name)\" does not exist on brokers \(harness.cluster.bootstrapServers)")
            let waiting = try await harness.poll(worker, "/health/ready") { reply in
                reply.status == 503 && (try? reply.json().canonicalized) == expected
            }
            #expect(waiting.status == 503)
            #expect(try waiting.json().canonicalized == expected)
            let missing = PrometheusSamples(try await worker.get("/metrics").text)
            #expect(missing[WorkerMetrics.Name.topicsUnusable] == 1)

            // A few readings later: still not ready, and nothing was written anywhere. Had the worker
            // published, its producer (which may auto-create) would have created the missing topic.
            try await Task.sleep(for: .seconds(1))
            #expect(try await worker.get("/health/ready").json().canonicalized == expected)
            for other in WorkerTopics.Role.allCases where other != role && other != .commands {
                #expect(try await harness.messageCount(harness.topics[other]) == 0, "\(other.label)")
            }
            let reader = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(bootstrapServers: harness.cluster.bootstrapServers),
                logger: testLogger)
            let described = try await reader.describeTopics([name], timeout: .seconds(5))
            await reader.close()
            #expect(described[topic: name]?.doesNotExist == true, "the worker's readings must not create the topic")

            try harness.cluster.createTopic(name, partitions: 1)
            let ready = try await harness.poll(worker, "/health/ready") { $0.status == 200 }
            #expect(ready.text == #"{"status":"ready"}"#)
            if role == .commands { try await harness.send([harness.message(create)]) }
            let results = try await harness.read(harness.topics.results, count: 1)
            #expect(try PublishedResult(try #require(results.first)).commandID == create.commandID)
            #expect(try PublishedResult(try #require(results.first)).status == 201)
            let settled = PrometheusSamples(try await worker.get("/metrics").text)
            #expect(settled[WorkerMetrics.Name.topicsUnusable] == 0)
            try await worker.stop()
        }
    }

    @Test("mismatches are logged once each, as warnings with their numbers")
    func mismatchLogged() async throws {
        try await withHarness(.sqlite, commandPartitions: 3, outputPartitions: 1) { harness in
            let records = RecordingLogHandler.Records()
            let worker = try harness.startWorker(logger: records.logger(level: .info))
            try await eventually(30, "the worker to be ready") { worker.health.notReadyReason == nil }
            // Several readings later (every 5 s by default: at least the start's and one more).
            try await Task.sleep(for: .seconds(6))
            try await worker.stop()
            let topics = harness.topics
            let warnings = records.all.filter { $0.level == .warning && $0.message.hasPrefix("topic mismatch") }
            #expect(
                warnings.map(\.message) == [
                    #"topic mismatch: events topic "\#(topics.events)" has 1 partition, fewer than the 3 of commands topic "\#(topics.commands)""#,
                    #"topic mismatch: results topic "\#(topics.results)" has 1 partition, fewer than the 3 of commands topic "\#(topics.commands)""#,
                ])
            #expect(
                warnings.map(\.metadata) == [
                    ["kind": "events_partitions", "partitions": "1", "commands_partitions": "3"],
                    ["kind": "results_partitions", "partitions": "1", "commands_partitions": "3"],
                ])
        }
    }

    @Test("a worker waiting for a missing topic stops at once when asked")
    func stopsWhileWaiting() async throws {
        try await withHarness(.sqlite, absentTopics: [.deadLetters]) { harness in
            let worker = try await harness.startHTTPWorker()
            _ = try await harness.poll(worker, "/health/ready") { $0.text.contains("does not exist") }
            try await within(10, "the worker to stop") { try await worker.stop() }
            #expect(try await harness.messageCount(harness.topics.results) == 0)
        }
    }

    @Test("a results topic with fewer partitions than commands is a mismatch in the metrics; equal counts are not")
    func partitionMismatchCounted() async throws {
        try await withHarness(.sqlite, commandPartitions: 3, outputPartitions: 1) { harness in
            let worker = try await harness.startHTTPWorker()
            _ = try await harness.poll(worker, "/health/ready") { $0.status == 200 }
            let samples = PrometheusSamples(try await worker.get("/metrics").text)
            #expect(samples[WorkerMetrics.Name.topicMismatches, ["kind": "results_partitions"]] == 1)
            #expect(samples[WorkerMetrics.Name.topicMismatches, ["kind": "events_partitions"]] == 1)
            // librdkafka 2.0.2's mock has no DescribeConfigs: retention is never decided there.
            #expect(samples[WorkerMetrics.Name.topicMismatches, ["kind": "dead_letter_retention"]] == nil)
            #expect(samples[WorkerMetrics.Name.topicsUnusable] == 0)
            try await worker.stop()
        }
        try await withHarness(.sqlite, commandPartitions: 2, outputPartitions: 2) { harness in
            let worker = try await harness.startHTTPWorker()
            _ = try await harness.poll(worker, "/health/ready") { $0.status == 200 }
            let samples = PrometheusSamples(try await worker.get("/metrics").text)
            #expect(samples[WorkerMetrics.Name.topicMismatches, ["kind": "results_partitions"]] == 0)
            #expect(samples[WorkerMetrics.Name.topicMismatches, ["kind": "events_partitions"]] == 0)
            try await worker.stop()
        }
    }
}
