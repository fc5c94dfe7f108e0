import Foundation

/// A fully valid command (docs/contract.md §3): who it concerns, when it happened, and what it asks for.
///
/// Produced by ``CommandDecoder`` from untrusted bytes, or built directly by tools that send
/// commands (`contact-worker send`, tests) and serialised with ``encoded()``.
public struct CommandEnvelope: Sendable, Hashable {
    /// The idempotency key.
    public var commandID: UUID
    /// The tenant the command acts in; must equal the token's `business_id`.
    public var businessID: String
    /// The contact the command concerns (the new contact's id for `CreateContact`).
    public var contactID: UUID
    /// The timestamp of everything the command records: `issued_at`, else the Kafka message
    /// timestamp.
    public var issuedAt: Timestamp
    /// Whether `issued_at` was in the envelope (rather than defaulted from the message timestamp);
    /// only an explicit `issued_at` is part of the idempotency fingerprint.
    public var issuedAtIsExplicit: Bool
    /// What the command asks for.
    public var payload: CommandPayload

    /// Creates an envelope.
    public init(
        commandID: UUID,
        businessID: String,
        contactID: UUID,
        issuedAt: Timestamp,
        issuedAtIsExplicit: Bool = true,
        payload: CommandPayload
    ) {
        self.commandID = commandID
        self.businessID = businessID
        self.contactID = contactID
        self.issuedAt = issuedAt
        self.issuedAtIsExplicit = issuedAtIsExplicit
        self.payload = payload
    }

    /// The command's type, fixed by its payload.
    public var type: CommandType { payload.type }

    /// The wire form (`issued_at` included only when explicit).
    public var json: JSONValue {
        var members: [JSONValue.Member] = [
            .init("command_id", .string(commandID.lowercasedString)),
            .init("type", .string(type.rawValue)),
            .init("business_id", .string(businessID)),
            .init("contact_id", .string(contactID.lowercasedString)),
        ]
        if issuedAtIsExplicit {
            members.append(.init("issued_at", .string(issuedAt.rfc3339)))
        }
        members.append(.init("payload", payload.json))
        return .object(members)
    }

    /// The message value to publish on the commands topic.
    public func encoded() -> [UInt8] {
        json.encoded()
    }
}
