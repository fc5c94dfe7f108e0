import ArgumentParser

/// `contact-worker history`: a contact's status history, newest first, for operators.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a contact's status history, newest first."
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
        throw NotYetAvailable(command: "history", issue: 6)
    }
}
