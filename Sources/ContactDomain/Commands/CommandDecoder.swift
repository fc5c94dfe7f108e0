import Foundation

/// Turns the raw value of a message on the commands topic into a ``CommandClassification``.
///
/// Total: any bytes whatsoever produce an answer, never a trap. The checks, in order:
/// size (``maximumSize``), JSON syntax, top-level object, string `command_id` — failing any of
/// these dead-letters the message. Past that point the message is a command and every remaining
/// problem becomes a 422 entry (docs/contract.md §4), all reported; nesting deeper than ``maximumDepth`` is
/// one of them (the too-deep part is checked without recursion and not decoded).
public struct CommandDecoder: Sendable {
    /// Default upper bound on a message value: 1 MiB.
    public static let defaultMaximumSize = 1 << 20

    /// Values larger than this many bytes are dead-lettered without being parsed.
    public var maximumSize: Int
    /// JSON nested deeper than this is dead-lettered.
    public var maximumDepth: Int

    /// Creates a decoder with the given limits.
    public init(maximumSize: Int = defaultMaximumSize, maximumDepth: Int = JSONValue.defaultMaximumDepth) {
        self.maximumSize = maximumSize
        self.maximumDepth = maximumDepth
    }

    /// Classifies one message.
    ///
    /// - Parameters:
    ///   - value: the message value bytes.
    ///   - messageTimestamp: the Kafka message timestamp, the default for a missing `issued_at`.
    ///   - headers: the `authorization` and `correlation-id` headers, carried along.
    public func classify(
        value: some Collection<UInt8>, messageTimestamp: Timestamp?, headers: CommandHeaders = CommandHeaders()
    ) -> CommandClassification {
        guard value.count <= maximumSize else {
            return .deadLetter(reason: "value is \(value.count) bytes, more than the maximum of \(maximumSize)")
        }
        guard !value.isEmpty else {
            return .deadLetter(reason: "value is empty")
        }
        let root: JSONValue
        var tooDeepIn: String??
        do {
            root = try JSONValue.parse(value, maximumDepth: maximumDepth)
        } catch  where error.kind == .tooDeep(maximum: maximumDepth) {
            // Still a command if the top level holds a string command_id: parse again with the
            // too-deep parts checked but left out, and report them as a problem.
            guard let shallow = try? JSONValue.parseReplacingTooDeep(value, maximumDepth: maximumDepth),
                shallow.value["command_id"]?.stringValue != nil
            else {
                return .deadLetter(reason: "value is not valid JSON: \(error.description)")
            }
            root = shallow.value
            tooDeepIn = .some(shallow.topLevelKey)
        } catch {
            return .deadLetter(reason: "value is not valid JSON: \(error.description)")
        }
        guard case .object = root else {
            return .deadLetter(reason: "value is a JSON \(root.typeName), not an object")
        }
        guard let rawCommandID = root["command_id"] else {
            return .deadLetter(reason: "command_id is missing")
        }
        guard let commandIDText = rawCommandID.stringValue else {
            return .deadLetter(reason: "command_id is a \(rawCommandID.typeName), not a string")
        }
        let decoded = decodeCommand(
            root, commandIDText: commandIDText, messageTimestamp: messageTimestamp, headers: headers)
        guard let key = tooDeepIn else { return .command(decoded) }
        // The replaced value says nothing about the field beyond being too deep.
        let field = key ?? "payload"
        var tooDeep = decoded
        tooDeep.validity = .invalid(
            [.tooDeep(field, maximum: maximumDepth)] + decoded.problems.filter { $0.loc != ["body", field] })
        return .command(tooDeep)
    }

    // MARK: - Envelope

    private func decodeCommand(
        _ root: JSONValue, commandIDText: String, messageTimestamp: Timestamp?, headers: CommandHeaders
    ) -> DecodedCommand {
        var reader = FieldReader(object: root)

        let commandID = reader.requiredUUID("command_id")
        let type = reader.requiredEnum("type", CommandType.self)
        let businessID = reader.requiredString(
            "business_id", minimum: FieldLimits.businessID.lowerBound, maximum: FieldLimits.businessID.upperBound)
        let contactID = reader.requiredUUID("contact_id")
        let contactIDText = root["contact_id"]?.stringValue

        let explicitIssuedAt = reader.optionalTimestamp("issued_at")
        let issuedAtGiven = root["issued_at"].map { !$0.isNull } ?? false
        if !issuedAtGiven, messageTimestamp == nil {
            reader.report(.missing("issued_at"))
        }
        let issuedAt = explicitIssuedAt ?? (issuedAtGiven ? nil : messageTimestamp)
        var headers = headers
        if let correlationID = headers.correlationID, FieldLimits.length(of: correlationID) > FieldLimits.correlationID
        {
            reader.report(.headerTooLong(CommandHeaders.correlationIDKey, maximum: FieldLimits.correlationID))
            // Echoed cut, so that the result still fits in a message and can be matched by prefix.
            headers.correlationID = String(
                String.UnicodeScalarView(correlationID.unicodeScalars.prefix(FieldLimits.correlationID)))
        }

        var payload: CommandPayload?
        switch root["payload"] {
        case nil:
            reader.report(.missing("payload"))
        case .some(let object) where object.objectMembers != nil:
            // The payload's fields are validated only when the type is known: an unknown type
            // has no schema to check them against, and its one problem says so.
            if let type {
                var payloadReader = FieldReader(object: object)
                switch type {
                case .createContact:
                    payload = CreateContactPayload.read(&payloadReader).map(CommandPayload.createContact)
                case .addInteraction:
                    payload = AddInteractionPayload.read(&payloadReader).map(CommandPayload.addInteraction)
                case .updateStatus: payload = UpdateStatusPayload.read(&payloadReader).map(CommandPayload.updateStatus)
                }
                payloadReader.problems.forEach { reader.report($0) }
            }
        case .some:
            reader.report(.dictType("payload"))
        }

        let validity: DecodedCommand.Validity
        if reader.problems.isEmpty, let commandID, let businessID, let contactID, let issuedAt, let payload {
            validity = .valid(
                CommandEnvelope(
                    commandID: commandID, businessID: businessID, contactID: contactID, issuedAt: issuedAt,
                    issuedAtIsExplicit: issuedAtGiven, payload: payload))
        } else {
            validity = .invalid(reader.problems)
        }

        return DecodedCommand(
            commandID: Self.echoedID(commandID, sent: commandIDText),
            commandType: root["type"]?.stringValue.map(FieldLimits.echoed),
            businessID: root["business_id"]?.stringValue.map(FieldLimits.echoed),
            contactID: contactIDText.map { Self.echoedID(contactID, sent: $0) },
            headers: headers,
            validity: validity,
            fingerprint: CommandFingerprint.compute(
                envelope: root, contactID: contactID, explicitIssuedAt: explicitIssuedAt, payload: payload))
    }

    /// An id as the result echoes it: the ``Foundation/UUID/lowercasedString`` of `uuid`, parsed
    /// strictly from `text`, or `text` ``FieldLimits/echoed(_:)`` when it is not a UUID. A strictly
    /// parsed UUID without uppercase hex digits is spelled exactly like its lowercase string, so
    /// `text` itself is that string.
    private static func echoedID(_ uuid: UUID?, sent text: String) -> String {
        guard let uuid else { return FieldLimits.echoed(text) }
        // Scanned as contiguous bytes: `utf8.contains(where:)` steps through the view's indices.
        let hasUppercase = text.withUTF8Bytes { $0.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) } }
        return hasUppercase ? uuid.lowercasedString : text
    }
}
