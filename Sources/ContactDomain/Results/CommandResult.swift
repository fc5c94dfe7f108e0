/// The outcome of one command as it is stored and published: HTTP-style status plus body, and
/// the envelope fields echoed in the result message.
///
/// Stored by the worker under the `command_id` so a duplicate re-publishes exactly the same
/// status and body (``ResultMessage`` renders the message bytes).
public struct CommandResult: Sendable, Hashable {
    /// The command's `command_id` (lower-cased when a UUID).
    public var commandID: String
    /// The `type` as sent, if it was a string.
    public var commandType: String?
    /// The `business_id` as sent, if it was a string.
    public var businessID: String?
    /// The `contact_id` (lower-cased when a UUID), if it was a string.
    public var contactID: String?
    /// 200, 201, 400, 401, 403, 404, 409 or 422.
    public var status: Int
    /// The success body (§6) or `{"detail": …}`, decoded from ``bodyBytes``.
    public var body: JSONValue {
        get {
            // The bytes are always one encoded value: the initializers encode or validate them, or
            // take them already encoded from the rules' own writer (``encodedBody``).
            (try? JSONValue.parse(bodyBytes)) ?? .null
        }
        set { encodedBody = newValue.encoded() }
    }
    /// The body's compact encoding, as stored and published; ``JSONValue/parse(_:maximumDepth:)``
    /// reads it back into an equal value, so re-published results are byte-identical.
    public var bodyBytes: [UInt8] { encodedBody }
    /// Private, so that the memberwise initializer is too, and only the initializers below call it:
    /// there `encodedBody` must be the compact encoding of one JSON value (as ``JSONObjectWriter``
    /// and ``JSONValue/encoded()`` write it).
    private var encodedBody: [UInt8]
}

// The initializers are an extension, so that the memberwise one is made too: the others call it, and
// it builds the result in place (decision 0014).
extension CommandResult {
    /// Creates a result.
    public init(
        commandID: String, commandType: String?, businessID: String?, contactID: String?, status: Int, body: JSONValue
    ) {
        self.init(
            commandID: commandID, commandType: commandType, businessID: businessID, contactID: contactID,
            status: status, encodedBody: body.encoded())
    }

    /// A result read back from storage, its body given as the bytes ``bodyBytes`` produced.
    public init(
        commandID: String, commandType: String?, businessID: String?, contactID: String?, status: Int,
        bodyBytes: [UInt8]
    ) throws(JSONParseError) {
        self.init(
            commandID: commandID, commandType: commandType, businessID: businessID, contactID: contactID,
            status: status, body: try JSONValue.parse(bodyBytes))
    }

    /// A result echoing `command`'s fields.
    public init(for command: DecodedCommand, status: Int, body: JSONValue) {
        self.init(
            commandID: command.commandID, commandType: command.commandType, businessID: command.businessID,
            contactID: command.contactID, status: status, body: body)
    }

    /// A result echoing a valid envelope's fields.
    public init(for envelope: CommandEnvelope, status: Int, body: JSONValue) {
        self.init(for: envelope, echoing: EchoedIDs(envelope), status: status, encodedBody: body.encoded())
    }

    /// A result echoing a valid envelope's fields, with its ids as `ids` spells them and its body
    /// already encoded (one compact JSON value, as ``JSONObjectWriter`` writes it).
    init(for envelope: CommandEnvelope, echoing ids: EchoedIDs, status: Int, encodedBody: [UInt8]) {
        assert(
            ids.commandID == envelope.commandID.lowercasedString && ids.contactID == envelope.contactID.lowercasedString
        )
        self.init(
            commandID: ids.commandID, commandType: envelope.type.rawValue, businessID: envelope.businessID,
            contactID: ids.contactID, status: status, encodedBody: encodedBody)
    }

    /// A valid command's `command_id` and `contact_id` as its result echoes them: the UUIDs'
    /// ``Foundation/UUID/lowercasedString``. The decoder has them spelled already
    /// (``DecodedCommand/commandID``, ``DecodedCommand/contactID``), and a result made from them
    /// needs no strings of its own.
    struct EchoedIDs: Sendable {
        /// The `command_id`, lower-cased.
        var commandID: String
        /// The `contact_id`, lower-cased.
        var contactID: String

        /// The ids as given; each must be the lower-cased spelling of the envelope's UUID.
        init(commandID: String, contactID: String) {
            self.commandID = commandID
            self.contactID = contactID
        }

        /// The envelope's ids, spelled anew.
        init(_ envelope: CommandEnvelope) {
            self.init(commandID: envelope.commandID.lowercasedString, contactID: envelope.contactID.lowercasedString)
        }
    }

    /// Whether the command was accepted (2xx).
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// `{"detail": "<text>"}`, the body of every error except 422.
    public static func detailBody(_ text: String) -> JSONValue {
        .object(["detail": .string(text)])
    }

    /// `{"detail": [{"loc", "msg", "type"}, …]}`, the 422 body.
    public static func validationBody(_ problems: [ValidationProblem]) -> JSONValue {
        .object(["detail": .array(problems.map(\.json))])
    }

    /// The 409 for a `command_id` reused with different content (see ``IdempotencyVerdict``).
    public static func idempotencyConflict(for command: DecodedCommand) -> CommandResult {
        CommandResult(for: command, status: 409, body: detailBody(ResultDetail.commandIDReused))
    }
}
