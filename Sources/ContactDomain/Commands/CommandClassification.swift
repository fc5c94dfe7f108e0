/// The first decision about a message on the commands topic (docs/contract.md §8): a command, which always
/// gets a result, or something else, which goes to the dead-letter topic untouched.
public enum CommandClassification: Sendable, Hashable {
    /// A JSON object with a string `command_id`.
    case command(DecodedCommand)
    /// Not a command; `reason` becomes the `x-error-reason` header.
    case deadLetter(reason: String)

    /// The decoded command, if this is one.
    public var command: DecodedCommand? {
        if case .command(let command) = self { return command }
        return nil
    }
}
