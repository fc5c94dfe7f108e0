import ArgumentParser

/// `contact-worker interactions`: a contact's interactions, newest first, for operators.
struct InteractionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactions",
        abstract: "List a contact's interactions, newest first."
    )

    @Argument(help: "The contact id.")
    var contactID: String

    @Option(help: "The contact's business id.")
    var business: String

    @Option(help: "Entries to skip.")
    var skip: Int = 0

    @Option(help: "Entries to show (1–100).")
    var limit: Int = 50

    func run() async throws {
        throw NotYetAvailable(command: "interactions", issue: 6)
    }
}
