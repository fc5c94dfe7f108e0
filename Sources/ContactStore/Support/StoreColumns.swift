/// The column lists both backends select and insert, in the order ``RowMapping`` reads them.
///
/// `timestamp` is quoted: it is a type name in PostgreSQL, and SQLite reads a double-quoted name
/// of an existing column as that column.
enum StoreColumns {
    static let contact = """
        id, business_id, first_name, last_name, company_name, display_name, email, phone, relationship_status, \
        lifecycle_stage, last_contacted, created_at, updated_at, version
        """

    /// The assignments of a contact upsert's conflict branch: every column of ``contact`` but the
    /// key, from the row that was to be inserted (both backends call it `excluded`).
    static let contactUpdate = """
        business_id = excluded.business_id, first_name = excluded.first_name, last_name = excluded.last_name, \
        company_name = excluded.company_name, display_name = excluded.display_name, email = excluded.email, \
        phone = excluded.phone, relationship_status = excluded.relationship_status, \
        lifecycle_stage = excluded.lifecycle_stage, last_contacted = excluded.last_contacted, \
        created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version
        """

    static let interaction = """
        id, contact_id, type, description, "timestamp", outcome, next_action, scheduled_follow_up, performed_by, \
        performed_by_id
        """

    static let statusHistory = """
        id, contact_id, from_status, to_status, from_lifecycle_stage, to_lifecycle_stage, "timestamp", changed_by, \
        changed_by_id, reason, notes
        """

    static let processedCommand = """
        command_id, fingerprint, business_id, contact_id, command_type, result_status, result_body, processed_at
        """

    /// An event's columns after its `sequence`, which the page cursor reads first.
    static let event = "id, contact_id, business_id, command_id, type, time, body"
}
