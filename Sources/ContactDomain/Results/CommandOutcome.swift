/// What processing one command produced: always a result, and for an accepted command the change
/// to persist.
public struct CommandOutcome: Sendable, Hashable {
    /// The result to store and publish.
    public var result: CommandResult
    /// The state change and events; `nil` for rejected commands, which change nothing and publish
    /// no event.
    public var change: ContactChange?

    /// Creates an outcome.
    public init(result: CommandResult, change: ContactChange? = nil) {
        self.result = result
        self.change = change
    }

    /// Whether the command was accepted.
    public var isAccepted: Bool { change != nil }
}
