import ArgumentParser
import ContactWorker
import Foundation
import Kafka

/// `contact-worker dev`: the embedded first look (mock cluster, SQLite, sample traffic).
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract:
            "Run the worker on an embedded Kafka mock cluster and SQLite, publish a sample scenario and show what happens.",
        discussion: """
            The database (.contact-worker/dev.sqlite) is recreated on every start, because the embedded \
            cluster starts empty too. Ctrl-C stops everything.
            """
    )

    @Option(help: "Where the dev database lives.")
    var database: String = ".contact-worker/dev.sqlite"

    // Every outcome is printed readably below, so the worker's own per-command lines (a dead
    // letter is a notice) would only repeat them.
    @Option(
        name: .customLong("log-level"),
        help: "Worker log level (outcomes are printed readably anyway; info or debug adds the worker's own lines).")
    var logLevel: String = "warning"

    static let secret = WorkerSettings.developmentSecret

    /// How this process was started (`.build/debug/contact-worker` from scripts/dev.sh), so the
    /// printed `send` line can be pasted as it is.
    static var invocation: String { CommandLine.arguments.first ?? "contact-worker" }
    static let business = "acme-field-services"

    func run() async throws {
        let cluster = try MockCluster(brokers: 1)
        let topics = WorkerTopics()
        for (topic, partitions) in [
            (topics.commands, 6), (topics.events, 6), (topics.results, 6), (topics.deadLetters, 1),
        ] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        let bootstrap = cluster.bootstrapServers

        let directory = (database as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }

        // Built from scratch: the scenario, the printer and the mock cluster use the default
        // topics and this secret, so a COMMANDS_TOPIC, JWT_ISSUER or DATABASE_MIGRATE=false left
        // in the shell would only make the demo process nothing. HTTP_PORT is the one setting
        // taken over; any free port unless one is asked for (a second `dev`, or anything on
        // 8080, must not stop the demo). The address is printed once the server listens.
        let environment = [
            "KAFKA_BROKERS": bootstrap,
            "DATABASE_URL": "sqlite:\(database)",
            "JWT_HS256_SECRET": Self.secret,
            "LOG_LEVEL": logLevel,
            "HTTP_PORT": ProcessInfo.processInfo.environment["HTTP_PORT"] ?? "0",
        ]
        let settings = try await WorkerSettings.load(file: nil, environment: environment).onMockCluster()
        let logger = WorkerLogging.bootstrap(format: "text", level: settings.logLevel)

        let printer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(MockCluster.configuration(bootstrap)))
        var start: [TopicPartition: KafkaOffset] = [:]
        for topic in [topics.results, topics.events, topics.deadLetters] {
            for partition in try await printer.partitions(of: topic) { start[partition] = .beginning }
        }
        try await printer.assign(start)

        say(
            """
            contact-worker dev
              Kafka (embedded mock cluster): \(bootstrap)
              database: \(database)
              topics: \(topics.commands), \(topics.events), \(topics.results), \(topics.deadLetters)

            """)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await WorkerApplication(settings: settings, logger: logger).run { port in
                    say("  HTTP read side, health and metrics: http://127.0.0.1:\(port) (/health/ready, /metrics)\n")
                }
            }
            group.addTask {
                for await batch in printer.batches {
                    for message in batch { say(DevScenario.describe(message, topics: topics)) }
                }
            }
            group.addTask {
                try await DevScenario.publish(
                    bootstrap: bootstrap, topics: topics, secret: Self.secret, business: Self.business)
                try await Task.sleep(for: .seconds(2))
                let token = try await TokenCommand.mint(
                    secret: Self.secret, sub: "u-maria", name: "Maria Lopez", business: Self.business, role: "manager",
                    ttl: 86_400)
                say(
                    """

                    The worker keeps running. Drive it by hand from another terminal:

                      export TOKEN='\(token)'
                      \(Self.invocation) send --brokers \(bootstrap) --token "$TOKEN" --business \(Self.business) \\
                        --contact \(DevScenario.cooper) --type AddInteraction \\
                        --payload '{"type":"note","description":"Sent the service agreement"}' --wait

                    Ctrl-C stops it.
                    """)
            }
            // The worker ends on Ctrl-C (graceful shutdown); then stop printing.
            try await group.next()
            try await group.next()
            await printer.close()
            group.cancelAll()
        }
        cluster.close()
    }
}

/// Writes one line to standard output at once, even when it is a pipe or a file (where `print`
/// would buffer), so `dev` output shows up as things happen.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
