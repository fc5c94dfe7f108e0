import Foundation

/// A message that is a command (a JSON object with a string `command_id`), valid or not.
///
/// Whatever is wrong with it, it gets a result: carry it to
/// ``ContactCommandProcessor/process(decoded:auth:current:)``. The echo fields hold what could be
/// read from the envelope, for the result message and for logs.
///
/// Made by ``CommandDecoder``, with the memberwise initializer only (decision 0014).
public struct DecodedCommand: Sendable, Hashable {
    /// Whether the envelope passed validation.
    public enum Validity: Sendable, Hashable {
        /// Every field valid.
        case valid(CommandEnvelope)
        /// The 422 problems, all of them, in envelope-then-payload field order.
        case invalid([ValidationProblem])
    }

    /// The `command_id`, lower-cased when it is a UUID, else as sent (cut by
    /// ``FieldLimits/echoed(_:)``). The idempotency key.
    public var commandID: String
    /// The `type` as sent (cut by ``FieldLimits/echoed(_:)``), when it is a string (even an unknown one).
    public var commandType: String?
    /// The `business_id` as sent (cut by ``FieldLimits/echoed(_:)``), when it is a string.
    public var businessID: String?
    /// The `contact_id`, lower-cased when it is a UUID, else as sent (cut by
    /// ``FieldLimits/echoed(_:)``), when it is a string.
    public var contactID: String?
    /// The message headers that matter (token, correlation id; an over-long correlation id is cut
    /// to ``FieldLimits/correlationID`` characters and reported as a problem).
    public var headers: CommandHeaders
    /// Valid envelope or the 422 problems.
    public var validity: Validity
    /// The SHA-256 fingerprint of the command's content for idempotency (see ``CommandFingerprint``).
    public var fingerprint: String

    /// The valid envelope, or `nil` when there are problems.
    public var envelope: CommandEnvelope? {
        if case .valid(let envelope) = validity { return envelope }
        return nil
    }

    /// The valid envelope's `contact_id`, or `nil` when there are problems: `envelope?.contactID`
    /// without copying the envelope (a command's strings and payload) to read one id.
    public var validContactID: UUID? {
        if case .valid(let envelope) = validity { return envelope.contactID }
        return nil
    }

    /// The 422 problems; empty when valid.
    public var problems: [ValidationProblem] {
        if case .invalid(let problems) = validity { return problems }
        return []
    }

    /// Whether `command_id` is a valid UUID and so can serve as the idempotency key. An invalid
    /// one (`""`, `"undefined"` from a client bug) is answered 422 every time and never
    /// remembered: otherwise every later command carrying the same garbage, from any business,
    /// would get a 409 that hides the real problem.
    public var hasIdempotencyKey: Bool {
        !problems.contains { $0.loc == ["body", "command_id"] }
    }
}
