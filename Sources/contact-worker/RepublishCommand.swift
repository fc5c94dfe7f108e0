import ArgumentParser

/// `contact-worker republish`: re-emits stored events for downstream back-fill.
struct RepublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "republish",
        abstract: "Re-emit stored events in their original order with their original ids."
    )

    @Option(help: "Only this contact's events.")
    var contact: String?

    @Option(help: "Events at or after this time (RFC 3339).")
    var since: String?

    @Option(help: "Events before this time (RFC 3339).")
    var until: String?

    func run() async throws {
        throw NotYetAvailable(command: "republish", issue: 6)
    }
}
