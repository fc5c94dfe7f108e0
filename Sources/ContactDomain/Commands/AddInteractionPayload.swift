/// The payload of `AddInteraction` (docs/contract.md §3; the source API's `POST /contacts/{id}/interactions`
/// body), validated. The interaction's timestamp is the command's, not part of the payload.
public struct AddInteractionPayload: Sendable, Hashable {
    /// What kind of touch point it was.
    public var type: InteractionType
    /// What happened, 1–1000 characters.
    public var description: String
    /// The result, ≤ 200 characters.
    public var outcome: String?
    /// What to do next, ≤ 500 characters.
    public var nextAction: String?
    /// When to follow up.
    public var scheduledFollowUp: Timestamp?

    /// Creates a payload (no validation; use ``CommandDecoder`` for untrusted input).
    public init(
        type: InteractionType,
        description: String,
        outcome: String? = nil,
        nextAction: String? = nil,
        scheduledFollowUp: Timestamp? = nil
    ) {
        self.type = type
        self.description = description
        self.outcome = outcome
        self.nextAction = nextAction
        self.scheduledFollowUp = scheduledFollowUp
    }

    /// The wire form; absent fields are omitted.
    public var json: JSONValue {
        var members: [JSONValue.Member] = [
            .init("type", .string(type.rawValue)),
            .init("description", .string(description)),
        ]
        if let outcome { members.append(.init("outcome", .string(outcome))) }
        if let nextAction { members.append(.init("next_action", .string(nextAction))) }
        if let scheduledFollowUp { members.append(.init("scheduled_follow_up", .string(scheduledFollowUp.rfc3339))) }
        return .object(members)
    }

    /// Writes the members of ``json`` in canonical order (sorted by name, absent fields omitted).
    func writeCanonicalMembers(into object: inout JSONObjectWriter) {
        object.string("description", description)
        if let nextAction { object.string("next_action", nextAction) }
        if let outcome { object.string("outcome", outcome) }
        if let scheduledFollowUp { object.timestamp("scheduled_follow_up", scheduledFollowUp) }
        object.string("type", type.rawValue)
    }

    /// Reads and validates the payload object, reporting every problem into `reader`.
    static func read(_ reader: inout FieldReader) -> AddInteractionPayload? {
        let before = reader.problems.count
        let type = reader.requiredEnum("type", InteractionType.self)
        let description = reader.requiredString(
            "description", minimum: FieldLimits.description.lowerBound, maximum: FieldLimits.description.upperBound)
        let outcome = reader.optionalString("outcome", maximum: FieldLimits.outcome)
        let nextAction = reader.optionalString("next_action", maximum: FieldLimits.nextAction)
        let followUp = reader.optionalTimestamp("scheduled_follow_up")
        guard reader.problems.count == before, let type, let description else { return nil }
        return AddInteractionPayload(
            type: type, description: description, outcome: outcome, nextAction: nextAction,
            scheduledFollowUp: followUp)
    }
}
