import ArgumentParser

/// `contact-worker interactions`: a contact's interactions, newest first, for operators.
struct InteractionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactions",
        abstract: "List a contact's interactions, newest first."
    )

    @OptionGroup var query: ContactQueryOptions

    func run() async throws {
        throw NotYetAvailable(command: "interactions", issue: 6)
    }
}
