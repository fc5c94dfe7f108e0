import Foundation

/// Writes one compact JSON object member by member straight into a byte buffer, in the order the
/// members are given, with the escaping of ``JSONValue/write(into:)``.
///
/// The messages the worker writes for every command (results, events) have fixed members; writing
/// them directly gives the same bytes as building a ``JSONValue`` and encoding it, without the
/// intermediate tree. Ids and timestamps are spelled straight into the buffer (their characters
/// never need escaping).
struct JSONObjectWriter: JSONObjectSink {
    private(set) var bytes: [UInt8]
    private var isEmpty = true

    /// Starts an object, reserving `capacity` bytes for the whole of it.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func string(_ key: String, _ value: String) {
        open(key)
        JSONValue.writeString(value, into: &bytes)
    }

    mutating func string(_ key: String, orNull value: String?) {
        open(key)
        if let value {
            JSONValue.writeString(value, into: &bytes)
        } else {
            writeNull()
        }
    }

    mutating func uuid(_ key: String, _ value: UUID) {
        open(key)
        bytes.append(UInt8(ascii: "\""))
        value.writeLowercased(into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ key: String, _ value: Timestamp) {
        open(key)
        bytes.append(UInt8(ascii: "\""))
        value.writeRFC3339(into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ key: String, orNull value: Timestamp?) {
        if let value {
            timestamp(key, value)
        } else {
            open(key)
            writeNull()
        }
    }

    /// An integer member.
    mutating func integer(_ key: String, _ value: Int) {
        open(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A boolean member.
    mutating func bool(_ key: String, _ value: Bool) {
        open(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A member whose value is any JSON value.
    mutating func value(_ key: String, _ value: JSONValue) {
        open(key)
        value.write(into: &bytes)
    }

    /// A member whose value is already encoded: `encoded` must be exactly one compact JSON value.
    mutating func encoded(_ key: String, _ encoded: [UInt8]) {
        open(key)
        bytes.append(contentsOf: encoded)
    }

    /// Closes the object and returns its bytes.
    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private mutating func open(_ key: String) {
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        JSONValue.writeString(key, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func writeNull() {
        bytes.append(contentsOf: "null".utf8)
    }
}
