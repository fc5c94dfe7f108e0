import ArgumentParser

/// `contact-worker history`: a contact's status history, newest first, for operators.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a contact's status history, newest first."
    )

    @OptionGroup var query: ContactQueryOptions

    func run() async throws {
        throw NotYetAvailable(command: "history", issue: 6)
    }
}
