import ArgumentParser

/// `contact-worker send`: publishes one command, optionally waiting for its result.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Publish one command (from flags or a JSON file) and optionally wait for its result."
    )

    @Option(help: "Kafka bootstrap servers (KAFKA_BROKERS).")
    var brokers: String?

    @Option(help: "A JSON file holding the command envelope.")
    var file: String?

    @Option(help: "Bearer token for the authorization header.")
    var token: String?

    @Flag(help: "Wait for the command's result and print it.")
    var wait = false

    func run() async throws {
        throw NotYetAvailable(command: "send", issue: 5)
    }
}
