import Foundation

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

    /// What a batch looks up before it decides: the command's idempotency key (its `command_id`,
    /// when it has one) and its valid contact id. Read through the payload, without a copy of it.
    public var lookupKeys: (commandID: String?, contactID: UUID?) {
        guard case .command(let command) = self else { return (nil, nil) }
        return (command.hasIdempotencyKey ? command.commandID : nil, command.validContactID)
    }
}
