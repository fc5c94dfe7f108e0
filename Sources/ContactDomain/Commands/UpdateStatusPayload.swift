/// The payload of `UpdateStatus` (docs/contract.md §3; the source API's `PUT /contacts/{id}/status` body),
/// validated.
public struct UpdateStatusPayload: Sendable, Hashable {
    /// The status to move to.
    public var relationshipStatus: RelationshipStatus
    /// The stage to move to; aligned to the status when absent.
    public var lifecycleStage: LifecycleStage?
    /// Why, ≤ 500 characters.
    public var reason: String?
    /// Free notes, ≤ 2000 characters.
    public var notes: String?

    /// Creates a payload (no validation; use ``CommandDecoder`` for untrusted input).
    public init(
        relationshipStatus: RelationshipStatus,
        lifecycleStage: LifecycleStage? = nil,
        reason: String? = nil,
        notes: String? = nil
    ) {
        self.relationshipStatus = relationshipStatus
        self.lifecycleStage = lifecycleStage
        self.reason = reason
        self.notes = notes
    }

    /// The wire form; absent fields are omitted.
    public var json: JSONValue {
        var members: [JSONValue.Member] = [.init("relationship_status", .string(relationshipStatus.rawValue))]
        if let lifecycleStage { members.append(.init("lifecycle_stage", .string(lifecycleStage.rawValue))) }
        if let reason { members.append(.init("reason", .string(reason))) }
        if let notes { members.append(.init("notes", .string(notes))) }
        return .object(members)
    }

    /// Writes the members of ``json`` in canonical order (sorted by name, absent fields omitted).
    func writeCanonicalMembers(into object: inout JSONObjectWriter) {
        if let lifecycleStage { object.string("lifecycle_stage", lifecycleStage.rawValue) }
        if let notes { object.string("notes", notes) }
        if let reason { object.string("reason", reason) }
        object.string("relationship_status", relationshipStatus.rawValue)
    }

    /// Reads and validates the payload object, reporting every problem into `reader`.
    static func read(_ reader: inout FieldReader) -> UpdateStatusPayload? {
        let before = reader.problems.count
        let status = reader.requiredEnum("relationship_status", RelationshipStatus.self)
        let stage = reader.optionalEnum("lifecycle_stage", LifecycleStage.self)
        let reason = reader.optionalString("reason", maximum: FieldLimits.reason)
        let notes = reader.optionalString("notes", maximum: FieldLimits.notes)
        guard reader.problems.count == before, let status else { return nil }
        return UpdateStatusPayload(relationshipStatus: status, lifecycleStage: stage, reason: reason, notes: notes)
    }
}
