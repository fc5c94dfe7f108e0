import Foundation
import Testing

@testable import ContactDomain

/// Builders shared by the suites: ids, actors, command JSON and decoded commands.
enum Fixtures {
    static let businessID = "9f3e2b1a-0000-4000-8000-00000000b001"
    static let otherBusinessID = "9f3e2b1a-0000-4000-8000-00000000b002"
    static let contactID = uuid(0xC0)
    static let issuedAt = Timestamp(rfc3339: "2024-01-10T14:30:00Z")!
    static let messageTimestamp = Timestamp(millisecondsSinceEpoch: 1_704_897_000_000)

    /// A readable fixed UUID: `00000000-0000-4000-8000-0000000000NN`.
    static func uuid(_ n: Int) -> UUID {
        let hex = String(n, radix: 16)
        return UUID(uuidString: "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex)!
    }

    static func actor(
        role: Role = .employee, businessID: String = businessID, name: String? = "Jane Doe",
        permissions: Set<Permission>? = nil
    ) -> ContactDomain.Principal {
        ContactDomain.Principal(
            userID: "user-1", name: name, businessID: businessID, role: role, permissions: permissions)
    }

    /// A command envelope as JSON; pass `nil` to leave a field out.
    static func envelope(
        commandID: JSONValue? = .string(uuid(1).lowercasedString),
        type: JSONValue? = .string("CreateContact"),
        businessID: JSONValue? = .string(businessID),
        contactID: JSONValue? = .string(contactID.lowercasedString),
        issuedAt: JSONValue? = .string("2024-01-10T14:30:00Z"),
        payload: JSONValue? = .object(["first_name": .string("Ada")])
    ) -> JSONValue {
        var members: [JSONValue.Member] = []
        if let commandID { members.append(.init("command_id", commandID)) }
        if let type { members.append(.init("type", type)) }
        if let businessID { members.append(.init("business_id", businessID)) }
        if let contactID { members.append(.init("contact_id", contactID)) }
        if let issuedAt { members.append(.init("issued_at", issuedAt)) }
        if let payload { members.append(.init("payload", payload)) }
        return .object(members)
    }

    static func classify(_ json: JSONValue, messageTimestamp: Timestamp? = messageTimestamp) -> CommandClassification {
        CommandDecoder().classify(value: json.encoded(), messageTimestamp: messageTimestamp)
    }

    static func decode(
        _ json: JSONValue, messageTimestamp: Timestamp? = messageTimestamp,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DecodedCommand {
        try #require(classify(json, messageTimestamp: messageTimestamp).command, sourceLocation: sourceLocation)
    }

    /// The 422 problems of a payload for `type`, with a valid envelope around it.
    static func problems(type: String, payload: JSONValue) throws -> [ValidationProblem] {
        try decode(envelope(type: .string(type), payload: payload)).problems
    }

    static func commandEnvelope(
        _ payload: CommandPayload, commandID: UUID = uuid(1), contactID: UUID = contactID,
        businessID: String = businessID, issuedAt: Timestamp = issuedAt
    ) -> CommandEnvelope {
        CommandEnvelope(
            commandID: commandID, businessID: businessID, contactID: contactID, issuedAt: issuedAt, payload: payload)
    }

    static func contact(
        status: RelationshipStatus = .prospect, stage: LifecycleStage = .awareness, businessID: String = businessID,
        lastContacted: Timestamp? = nil
    ) -> Contact {
        Contact(
            id: contactID, businessID: businessID, firstName: "Ada", lastName: "Lovelace", companyName: nil,
            displayName: "Ada Lovelace", email: "ada@example.com", phone: nil, relationshipStatus: status,
            lifecycleStage: stage, lastContacted: lastContacted,
            createdAt: Timestamp(rfc3339: "2024-01-01T09:00:00Z")!,
            updatedAt: Timestamp(rfc3339: "2024-01-01T09:00:00Z")!)
    }

    static func string(_ count: Int, _ character: Character = "x") -> String {
        String(repeating: character, count: count)
    }
}

extension JSONValue {
    /// Parses test JSON text; traps on invalid text (tests only).
    static func from(_ text: String) -> JSONValue {
        try! JSONValue.parse(Array(text.utf8))
    }
}
