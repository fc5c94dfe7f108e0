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

    /// The result message bytes from a stored result whose body is kept as bytes: `bodyBytes` is
    /// inserted verbatim (it must be one JSON value, as ``CommandResult/bodyBytes`` is), so a
    /// re-published duplicate carries exactly the stored body without a parse round-trip.
    /// Produces the same bytes as ``encode(result:correlationID:duplicate:processedAt:)``.
    public static func encode(
        commandID: String, correlationID: String?, commandType: String?, businessID: String?, contactID: String?,
        status: Int, bodyBytes: [UInt8], duplicate: Bool, processedAt: Timestamp
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bodyBytes.count + 320)
        func member(_ key: String, _ value: JSONValue, first: Bool = false) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONValue.string(key).write(into: &out)
            out.append(UInt8(ascii: ":"))
            value.write(into: &out)
        }
        member("command_id", .string(commandID), first: true)
        member("correlation_id", .string(orNull: correlationID))
        member("command_type", .string(orNull: commandType))
        member("business_id", .string(orNull: businessID))
        member("contact_id", .string(orNull: contactID))
        member("status", .integer(status))
        out.append(contentsOf: Array(#","body":"#.utf8))
        out.append(contentsOf: bodyBytes)
        member("duplicate", .bool(duplicate))
        member("processed_at", .string(processedAt.rfc3339))
        out.append(UInt8(ascii: "}"))
        return out
    }
}
