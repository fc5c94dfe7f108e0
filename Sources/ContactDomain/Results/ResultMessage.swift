/// Renders the message published on the results topic (docs/contract.md §6).
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
        encode(
            commandID: result.commandID, correlationID: correlationID, commandType: result.commandType,
            businessID: result.businessID, contactID: result.contactID, status: result.status,
            bodyBytes: result.bodyBytes, duplicate: duplicate, processedAt: processedAt)
    }

    /// ``encode(result:correlationID:duplicate:processedAt:)`` for a caller that already holds the
    /// result's ``CommandResult/bodyBytes`` (to store them too): the body is encoded once.
    public static func encode(
        result: CommandResult, bodyBytes: [UInt8], correlationID: String?, duplicate: Bool, processedAt: Timestamp
    ) -> [UInt8] {
        encode(
            commandID: result.commandID, correlationID: correlationID, commandType: result.commandType,
            businessID: result.businessID, contactID: result.contactID, status: result.status,
            bodyBytes: bodyBytes, duplicate: duplicate, processedAt: processedAt)
    }

    /// The result message bytes from a stored result whose body is kept as bytes: `bodyBytes` is
    /// inserted verbatim (it must be one JSON value, as ``CommandResult/bodyBytes`` is), so a
    /// re-published duplicate carries exactly the stored body without a parse round-trip.
    /// Produces the same bytes as ``encode(result:correlationID:duplicate:processedAt:)``.
    public static func encode(
        commandID: String, correlationID: String?, commandType: String?, businessID: String?, contactID: String?,
        status: Int, bodyBytes: [UInt8], duplicate: Bool, processedAt: Timestamp
    ) -> [UInt8] {
        JSONObjectWriter.bytes { out in
            out.string("command_id", commandID)
            out.string("correlation_id", orNull: correlationID)
            out.string("command_type", orNull: commandType)
            out.string("business_id", orNull: businessID)
            out.string("contact_id", orNull: contactID)
            out.integer("status", status)
            out.encoded("body", bodyBytes)
            out.bool("duplicate", duplicate)
            out.timestamp("processed_at", processedAt)
        }
    }
}
