import ArgumentParser

/// `contact-worker interactions`: a contact's interactions, newest first, for operators.
struct InteractionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactions",
        abstract: "List a contact's interactions, newest first (reads the database directly; no token needed)."
    )

    @OptionGroup var query: ContactQueryOptions

    func run() async throws {
        try await query.run(.interactions, noun: "interactions") { item in
            var line =
                "\(item.text("timestamp"))  \(item.text("type").padding(toLength: 9, withPad: " ", startingAt: 0)) \(item.text("description"))"
            if let outcome = item["outcome"]?.stringValue { line += "  → \(outcome)" }
            if let next = item["next_action"]?.stringValue { line += "  next: \(next)" }
            return line + "  (by \(item.text("performed_by")))"
        }
    }
}
