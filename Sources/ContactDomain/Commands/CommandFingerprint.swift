import Crypto
import Foundation

/// The content fingerprint that tells a re-sent command from a different command reusing its
/// `command_id` (docs/contract.md §6 idempotency).
///
/// SHA-256 (lowercase hex) over a versioned canonical JSON document of the envelope fields that
/// define the command — `type`, `business_id`, `contact_id`, `issued_at`, `payload` — with object
/// members sorted and whitespace dropped. Deliberately *not* included: the token and the
/// correlation id (a re-send with a fresh token is the same command), and an `issued_at`
/// defaulted from the Kafka message timestamp (a client re-sending a command without `issued_at`
/// gets a new message timestamp but means the same command). Valid UUIDs and date-times are
/// normalised, so `ABC…` and `abc…`, or `+00:00` and `Z`, fingerprint alike; a valid payload is
/// taken as validated (unknown members and explicit `null`s dropped), an invalid one as sent.
public enum CommandFingerprint {
    /// Prefix of the hashed text; bump it if the canonical form ever changes.
    public static let version = "contact-command/v1"

    /// The fingerprint of a valid envelope (equal to what ``CommandDecoder`` computes for its bytes).
    public static func compute(_ envelope: CommandEnvelope) -> String {
        compute(
            envelope: envelope.json, contactID: envelope.contactID,
            explicitIssuedAt: envelope.issuedAtIsExplicit ? envelope.issuedAt : nil, payload: envelope.payload)
    }

    static func compute(
        envelope root: JSONValue, contactID: UUID?, explicitIssuedAt: Timestamp?, payload: CommandPayload?
    ) -> String {
        // The canonical document, its members written in their (sorted) order without building
        // it, and hashed where it was written.
        var hasher = SHA256()
        hasher.update(data: versionLine)
        JSONObjectWriter.withObject { document in
            document.canonical("business_id", root["business_id"] ?? .null)
            if let contactID {
                document.uuid("contact_id", contactID)
            } else {
                document.canonical("contact_id", root["contact_id"] ?? .null)
            }
            if let explicitIssuedAt {
                document.timestamp("issued_at", explicitIssuedAt)
            } else {
                document.canonical("issued_at", root["issued_at"] ?? .null)
            }
            if let payload {
                document.object("payload") { payload.writeCanonicalMembers(into: &$0) }
            } else {
                document.canonical("payload", root["payload"] ?? .null)
            }
            document.canonical("type", root["type"] ?? .null)
        } _: { bytes in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
        }
        return hex(hasher.finalize())
    }

    /// What the hashed text starts with: ``version`` and a line feed.
    private static let versionLine = Array((version + "\n").utf8)

    /// Lowercase hex of `digest`, spelled straight into the string (this runs once per consumed command).
    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { text in
                for (index, byte) in bytes.enumerated() {
                    text[2 * index] = JSONValue.hexDigit(byte >> 4)
                    text[2 * index + 1] = JSONValue.hexDigit(byte & 0x0F)
                }
                return bytes.count * 2
            }
        }
    }
}
