/// The four topic names the worker uses (docs/contract.md §2); every name is configurable.
public struct WorkerTopics: Sendable, Hashable {
    /// Commands from upstream, keyed by `contact_id`.
    public var commands: String
    /// CloudEvents for analytics, keyed by `contact_id`.
    public var events: String
    /// One result per command, keyed by `contact_id`.
    public var results: String
    /// Messages that are not commands at all, and commands whose processing failed for good,
    /// with their original key, value and headers.
    public var deadLetters: String

    public init(
        commands: String = "contacts.commands",
        events: String = "contacts.events",
        results: String = "contacts.command-results",
        deadLetters: String = "contacts.commands.dlq"
    ) {
        self.commands = commands
        self.events = events
        self.results = results
        self.deadLetters = deadLetters
    }

    /// What a topic is for: the commands the worker reads, and the three it writes.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        case commands, events, results, deadLetters

        /// How logs and readiness reasons name a topic of this role ("dead-letter topic").
        public var label: String {
            switch self {
            case .commands: "commands topic"
            case .events: "events topic"
            case .results: "results topic"
            case .deadLetters: "dead-letter topic"
            }
        }
    }

    /// The topic of `role`.
    public subscript(role: Role) -> String {
        switch role {
        case .commands: commands
        case .events: events
        case .results: results
        case .deadLetters: deadLetters
        }
    }
}
