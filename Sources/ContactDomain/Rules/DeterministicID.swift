import Crypto
import Foundation

/// Name-based (version 5, SHA-1, RFC 4122 §4.3) UUIDs for everything a command creates.
///
/// The namespace is the command's own `command_id` and the name a fixed role string, so replaying
/// the same commands into an empty database rebuilds rows with identical ids and re-delivered
/// events keep their ids — with no clock and no random generator involved.
public enum DeterministicID {
    /// Role name for the interaction an `AddInteraction` command records.
    public static let interactionRole = "interaction"
    /// Role name for the status-history entry a `CreateContact` / `UpdateStatus` command appends.
    public static let historyRole = "history"

    /// The version-5 UUID of `name` in `namespace` (RFC 4122: SHA-1 over the namespace's 16
    /// bytes followed by the UTF-8 name, version and variant bits set).
    public static func uuid(namespace: UUID, name: String) -> UUID {
        var hasher = Insecure.SHA1()
        withUnsafeBytes(of: namespace.uuid) { hasher.update(bufferPointer: $0) }
        name.withUTF8Bytes { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        // The first 16 of the digest's 20 bytes, read straight from it.
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        hasher.finalize().withUnsafeBytes { digest in
            withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: digest[0..<16])) }
        }
        value.6 = (value.6 & 0x0F) | 0x50
        value.8 = (value.8 & 0x3F) | 0x80
        return UUID(uuid: value)
    }

    /// The id of the interaction recorded by `commandID`.
    public static func interaction(commandID: UUID) -> UUID {
        uuid(namespace: commandID, name: interactionRole)
    }

    /// The id of the status-history entry appended by `commandID`.
    public static func historyEntry(commandID: UUID) -> UUID {
        uuid(namespace: commandID, name: historyRole)
    }

    /// The CloudEvents `id` of the event of `type` emitted by `commandID`.
    public static func event(commandID: UUID, type: ContactEventType) -> UUID {
        uuid(namespace: commandID, name: eventRole(type))
    }

    /// The role name of an event of `type`: `event:` followed by the type's raw value. Spelled out
    /// as literals so that no string is built per event (the names are longer than the 15 bytes a
    /// `String` holds inline); a test checks them against the raw values.
    static func eventRole(_ type: ContactEventType) -> String {
        switch type {
        case .contactCreated: "event:ContactCreated"
        case .interactionRecorded: "event:InteractionRecorded"
        case .statusChanged: "event:StatusChanged"
        }
    }
}

extension UUID {
    /// The lowercase hyphenated form (`550e8400-e29b-…`), the spelling of every id the worker
    /// writes (Python's `str(uuid)`), unlike Foundation's uppercase `uuidString`.
    public var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            spellLowercase(into: buffer)
            return 36
        }
    }

    /// Appends the 36 ASCII bytes of ``lowercasedString`` to `out` (never in need of JSON escaping).
    public func writeLowercased(into out: inout [UInt8]) {
        writeLowercased(to: &out)
    }

    /// ``writeLowercased(into:)`` into any sink.
    func writeLowercased<Sink: JSONTextSink & ~Copyable>(to out: inout Sink) {
        out.appendInPlace(maximumCount: 36) { text in
            spellLowercase(into: text)
            return 36
        }
    }

    /// Writes the lowercase hyphenated form into the first 36 bytes of `buffer`. By hand:
    /// Foundation's `uuidString` formats with snprintf and then needs lowercasing, and the worker
    /// spells several ids per command.
    private func spellLowercase(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        // Digits looked up in a table, over the 16 bytes by index, with a hyphen before bytes 4,
        // 6, 8 and 10 (8-4-4-4-12 digits).
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { digit in
            withUnsafeBytes(of: uuid) { raw in
                var position = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    let byte = raw[index]
                    buffer[position] = digit[Int(byte >> 4)]
                    buffer[position + 1] = digit[Int(byte & 0x0F)]
                    position += 2
                }
            }
        }
    }
}
