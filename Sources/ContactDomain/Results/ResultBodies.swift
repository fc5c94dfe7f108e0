/// The success bodies of docs/contract.md §6 with their exact field names and order; also the `data` of the
/// events (§7) and the rows of the read side (§10).
///
/// Every field is always present; absent values are written as JSON `null`. Ids are lower-case,
/// timestamps RFC 3339 UTC.
public enum ResultBodies {
    /// The `CreateContact` 201 body / `ContactCreated` data.
    public static func contact(_ contact: Contact) -> JSONValue {
        .object([
            "id": .string(contact.id.lowercasedString),
            "business_id": .string(contact.businessID),
            "first_name": .string(orNull: contact.firstName),
            "last_name": .string(orNull: contact.lastName),
            "company_name": .string(orNull: contact.companyName),
            "display_name": .string(contact.displayName),
            "email": .string(orNull: contact.email),
            "phone": .string(orNull: contact.phone),
            "relationship_status": .string(contact.relationshipStatus.rawValue),
            "lifecycle_stage": .string(contact.lifecycleStage.rawValue),
            "last_contacted": .string(orNull: contact.lastContacted?.rfc3339),
            "created_at": .string(contact.createdAt.rfc3339),
            "updated_at": .string(contact.updatedAt.rfc3339),
        ])
    }

    /// The `AddInteraction` 201 body / `InteractionRecorded` data, as the source API returned it.
    public static func interaction(_ interaction: Interaction) -> JSONValue {
        .object([
            "id": .string(interaction.id.lowercasedString),
            "contact_id": .string(interaction.contactID.lowercasedString),
            "type": .string(interaction.type.rawValue),
            "description": .string(interaction.description),
            "timestamp": .string(interaction.timestamp.rfc3339),
            "outcome": .string(orNull: interaction.outcome),
            "next_action": .string(orNull: interaction.nextAction),
            "scheduled_follow_up": .string(orNull: interaction.scheduledFollowUp?.rfc3339),
            "performed_by": .string(interaction.performedBy),
            "performed_by_id": .string(interaction.performedByID),
        ])
    }

    /// The `UpdateStatus` 200 body / `StatusChanged` data, built from the history entry the change
    /// appended.
    public static func statusChange(_ entry: StatusHistoryEntry) -> JSONValue {
        .object([
            "contact_id": .string(entry.contactID.lowercasedString),
            "old_status": .string(orNull: entry.fromStatus?.rawValue),
            "new_status": .string(entry.toStatus.rawValue),
            "old_lifecycle_stage": .string(orNull: entry.fromLifecycleStage?.rawValue),
            "new_lifecycle_stage": .string(entry.toLifecycleStage.rawValue),
            "changed_by": .string(entry.changedBy),
            "changed_by_id": .string(entry.changedByID),
            "timestamp": .string(entry.timestamp.rfc3339),
            "reason": .string(orNull: entry.reason),
            "notes": .string(orNull: entry.notes),
        ])
    }

    /// One status-history row as the read side lists it (docs/contract.md §5 field names).
    public static func historyEntry(_ entry: StatusHistoryEntry) -> JSONValue {
        .object([
            "id": .string(entry.id.lowercasedString),
            "contact_id": .string(entry.contactID.lowercasedString),
            "from_status": .string(orNull: entry.fromStatus?.rawValue),
            "to_status": .string(entry.toStatus.rawValue),
            "from_lifecycle_stage": .string(orNull: entry.fromLifecycleStage?.rawValue),
            "to_lifecycle_stage": .string(entry.toLifecycleStage.rawValue),
            "timestamp": .string(entry.timestamp.rfc3339),
            "changed_by": .string(entry.changedBy),
            "changed_by_id": .string(entry.changedByID),
            "reason": .string(orNull: entry.reason),
            "notes": .string(orNull: entry.notes),
        ])
    }
}
