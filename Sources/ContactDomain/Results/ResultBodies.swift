/// The success bodies of docs/contract.md §6 with their exact field names and order; also the `data` of the
/// events (§7) and the rows of the read side (§10).
///
/// Every field is always present; absent values are written as JSON `null`. Ids are lower-case,
/// timestamps RFC 3339 UTC. Each body's members are listed once (`write(…, to:)`) and rendered
/// either as a ``JSONValue`` (public) or, for the worker's hot path, as the compact bytes that value
/// encodes to (`…Bytes`), without building the value.
public enum ResultBodies {
    /// The `CreateContact` 201 body / `ContactCreated` data.
    public static func contact(_ contact: Contact) -> JSONValue {
        value { write(contact, to: &$0) }
    }

    /// ``contact(_:)`` encoded.
    static func contactBytes(_ contact: Contact) -> [UInt8] {
        JSONObjectWriter.bytes { write(contact, to: &$0) }
    }

    /// The `AddInteraction` 201 body / `InteractionRecorded` data, as the source API returned it.
    public static func interaction(_ interaction: Interaction) -> JSONValue {
        value { write(interaction, to: &$0) }
    }

    /// ``interaction(_:)`` encoded.
    static func interactionBytes(_ interaction: Interaction) -> [UInt8] {
        JSONObjectWriter.bytes { write(interaction, to: &$0) }
    }

    /// The `UpdateStatus` 200 body / `StatusChanged` data, built from the history entry the change
    /// appended.
    public static func statusChange(_ entry: StatusHistoryEntry) -> JSONValue {
        value { write(statusChange: entry, to: &$0) }
    }

    /// ``statusChange(_:)`` encoded.
    static func statusChangeBytes(_ entry: StatusHistoryEntry) -> [UInt8] {
        JSONObjectWriter.bytes { write(statusChange: entry, to: &$0) }
    }

    /// One status-history row as the read side lists it (docs/contract.md §5 field names).
    public static func historyEntry(_ entry: StatusHistoryEntry) -> JSONValue {
        value { write(historyEntry: entry, to: &$0) }
    }

    // MARK: - Members

    private static func write<Sink: JSONObjectSink & ~Copyable>(_ contact: Contact, to object: inout Sink) {
        object.uuid("id", contact.id)
        object.string("business_id", contact.businessID)
        object.string("first_name", orNull: contact.firstName)
        object.string("last_name", orNull: contact.lastName)
        object.string("company_name", orNull: contact.companyName)
        object.string("display_name", contact.displayName)
        object.string("email", orNull: contact.email)
        object.string("phone", orNull: contact.phone)
        object.string("relationship_status", contact.relationshipStatus.rawValue)
        object.string("lifecycle_stage", contact.lifecycleStage.rawValue)
        object.timestamp("last_contacted", orNull: contact.lastContacted)
        object.timestamp("created_at", contact.createdAt)
        object.timestamp("updated_at", contact.updatedAt)
    }

    private static func write<Sink: JSONObjectSink & ~Copyable>(_ interaction: Interaction, to object: inout Sink) {
        object.uuid("id", interaction.id)
        object.uuid("contact_id", interaction.contactID)
        object.string("type", interaction.type.rawValue)
        object.string("description", interaction.description)
        object.timestamp("timestamp", interaction.timestamp)
        object.string("outcome", orNull: interaction.outcome)
        object.string("next_action", orNull: interaction.nextAction)
        object.timestamp("scheduled_follow_up", orNull: interaction.scheduledFollowUp)
        object.string("performed_by", interaction.performedBy)
        object.string("performed_by_id", interaction.performedByID)
    }

    private static func write<Sink: JSONObjectSink & ~Copyable>(
        statusChange entry: StatusHistoryEntry, to object: inout Sink
    ) {
        object.uuid("contact_id", entry.contactID)
        object.string("old_status", orNull: entry.fromStatus?.rawValue)
        object.string("new_status", entry.toStatus.rawValue)
        object.string("old_lifecycle_stage", orNull: entry.fromLifecycleStage?.rawValue)
        object.string("new_lifecycle_stage", entry.toLifecycleStage.rawValue)
        object.string("changed_by", entry.changedBy)
        object.string("changed_by_id", entry.changedByID)
        object.timestamp("timestamp", entry.timestamp)
        object.string("reason", orNull: entry.reason)
        object.string("notes", orNull: entry.notes)
    }

    private static func write<Sink: JSONObjectSink & ~Copyable>(
        historyEntry entry: StatusHistoryEntry, to object: inout Sink
    ) {
        object.uuid("id", entry.id)
        object.uuid("contact_id", entry.contactID)
        object.string("from_status", orNull: entry.fromStatus?.rawValue)
        object.string("to_status", entry.toStatus.rawValue)
        object.string("from_lifecycle_stage", orNull: entry.fromLifecycleStage?.rawValue)
        object.string("to_lifecycle_stage", entry.toLifecycleStage.rawValue)
        object.timestamp("timestamp", entry.timestamp)
        object.string("changed_by", entry.changedBy)
        object.string("changed_by_id", entry.changedByID)
        object.string("reason", orNull: entry.reason)
        object.string("notes", orNull: entry.notes)
    }

    // MARK: - Renderings

    private static func value(_ members: (inout JSONObjectBuilder) -> Void) -> JSONValue {
        var builder = JSONObjectBuilder()
        members(&builder)
        return builder.value
    }
}
