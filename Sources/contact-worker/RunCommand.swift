import ArgumentParser

/// `contact-worker run`: the long-running worker.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker: consume commands, apply them, publish events and results."
    )

    @Option(help: "Configuration file (YAML). Environment variables and flags override it.")
    var config: String = "config/default.yaml"

    @Option(help: "Kafka bootstrap servers (KAFKA_BROKERS).")
    var brokers: String?

    @Option(name: .customLong("database-url"), help: "sqlite:<path> or postgres://user:pass@host:port/db (DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("http-port"), help: "Port of the HTTP read side, health and metrics (HTTP_PORT).")
    var httpPort: Int?

    func run() async throws {
        throw NotYetAvailable(command: "run", issue: 5)
    }
}
