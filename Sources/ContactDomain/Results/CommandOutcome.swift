/// What processing one command produced: always a result, and for an accepted command the change
/// to persist. Made by ``ContactCommandProcessor``.
///
/// It has only its memberwise initializer, which builds it in place. With an initializer of our own
/// the optimizer copies the whole outcome where it is made, retaining and releasing every string in
/// it (decision 0014).
public struct CommandOutcome: Sendable, Hashable {
    /// The result to store and publish.
    public var result: CommandResult
    /// The state change and events; `nil` for rejected commands, which change nothing and publish
    /// no event.
    public var change: ContactChange?

    /// Whether the command was accepted.
    public var isAccepted: Bool { change != nil }

    /// The result and the change, moved out of the outcome rather than copied with all their
    /// strings.
    public consuming func parts() -> (result: CommandResult, change: ContactChange?) {
        (result, change)
    }
}
