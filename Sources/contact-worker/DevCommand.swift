import ArgumentParser

/// `contact-worker dev`: the embedded first look (mock cluster, SQLite, sample traffic).
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Start an embedded Kafka mock cluster, publish sample traffic and show it flowing."
    )

    func run() async throws {
        throw NotYetAvailable(command: "dev", issue: 5)
    }
}
