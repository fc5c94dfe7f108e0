import ArgumentParser

/// `contact-worker history`: a contact's status history, newest first, for operators.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a contact's status history, newest first (reads the database directly; no token needed)."
    )

    @OptionGroup var query: ContactQueryOptions

    func run() async throws {
        try await query.run(.statusHistory, noun: "status changes") { item in
            var line =
                "\(item.text("timestamp"))  \(item.text("from_status")) → \(item.text("to_status"))"
                + "  (\(item.text("from_lifecycle_stage")) → \(item.text("to_lifecycle_stage")))  by \(item.text("changed_by"))"
            if let reason = item["reason"]?.stringValue { line += "  reason: \(reason)" }
            return line
        }
    }
}
