/// Renders the message published on the results topic (SPEC §6).
///
/// `{"command_id", "correlation_id", "command_type", "business_id", "contact_id", "status",
/// "body", "duplicate", "processed_at"}` in that order; absent echo fields are `null`. The same
/// inputs always give the same bytes, so a stored result re-published as a duplicate differs from
/// the original only in `duplicate`, `correlation_id` and `processed_at`.
public enum ResultMessage {
    /// The content type of result messages.
    public static let contentType = "application/json"

    /// The result message as a JSON value.
    public static func json(
        result: CommandResult, correlationID: String?, duplicate: Bool, processedAt: Timestamp
    ) -> JSONValue {
        .object([
            "command_id": .string(result.commandID),
            "correlation_id": .string(orNull: correlationID),
            "command_type": .string(orNull: result.commandType),
            "business_id": .string(orNull: result.businessID),
            "contact_id": .string(orNull: result.contactID),
            "status": .integer(result.status),
            "body": result.body,
            "duplicate": .bool(duplicate),
            "processed_at": .string(processedAt.rfc3339),
        ])
    }

    /// The result message bytes; `processedAt` comes from the caller (the domain has no clock).
    public static func encode(
        result: CommandResult, correlationID: String?, duplicate: Bool, processedAt: Timestamp
    ) -> [UInt8] {
        json(result: result, correlationID: correlationID, duplicate: duplicate, processedAt: processedAt).encoded()
    }
}
