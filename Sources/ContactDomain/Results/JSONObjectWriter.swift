import Foundation

/// Writes one compact JSON object member by member straight into a byte buffer, in the order the
/// members are given, with the escaping of ``JSONValue/write(into:)``.
///
/// The messages the worker writes for every command (results, events) have fixed members; writing
/// them directly gives the same bytes as building a ``JSONValue`` and encoding it, without the
/// intermediate tree. Member names (literals) and ids and timestamps are copied or spelled straight
/// into the buffer: their characters never need escaping.
struct JSONObjectWriter: JSONObjectSink {
    private(set) var bytes: [UInt8]
    private var isEmpty = true

    /// Starts an object, reserving `capacity` bytes for the whole of it.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// A writer that owns no buffer yet; ``object(_:_:)`` hands it the outer one.
    private init() {
        bytes = []
    }

    mutating func string(_ key: StaticString, _ value: String) {
        open(key)
        JSONValue.writeString(value, into: &bytes)
    }

    mutating func string(_ key: StaticString, orNull value: String?) {
        open(key)
        if let value {
            JSONValue.writeString(value, into: &bytes)
        } else {
            writeNull()
        }
    }

    mutating func uuid(_ key: StaticString, _ value: UUID) {
        open(key)
        bytes.append(UInt8(ascii: "\""))
        value.writeLowercased(into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ key: StaticString, _ value: Timestamp) {
        open(key)
        bytes.append(UInt8(ascii: "\""))
        value.writeRFC3339(into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ key: StaticString, orNull value: Timestamp?) {
        if let value {
            timestamp(key, value)
        } else {
            open(key)
            writeNull()
        }
    }

    /// An integer member.
    mutating func integer(_ key: StaticString, _ value: Int) {
        open(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A boolean member.
    mutating func bool(_ key: StaticString, _ value: Bool) {
        open(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A member whose value is any JSON value.
    mutating func value(_ key: StaticString, _ value: JSONValue) {
        open(key)
        value.write(into: &bytes)
    }

    /// A member whose value is any JSON value in canonical form (``JSONValue/writeCanonical(into:)``).
    mutating func canonical(_ key: StaticString, _ value: JSONValue) {
        open(key)
        value.writeCanonical(into: &bytes)
    }

    /// A member whose value is an object, its members written by `members` into the same buffer.
    mutating func object(_ key: StaticString, _ members: (inout JSONObjectWriter) -> Void) {
        open(key)
        // The nested writer borrows the buffer (swapped, so it stays uniquely referenced) and
        // gives it back with the nested object appended.
        var nested = JSONObjectWriter()
        swap(&bytes, &nested.bytes)
        nested.bytes.append(UInt8(ascii: "{"))
        members(&nested)
        nested.bytes.append(UInt8(ascii: "}"))
        swap(&bytes, &nested.bytes)
    }

    /// A member whose value is already encoded: `encoded` must be exactly one compact JSON value.
    mutating func encoded(_ key: StaticString, _ encoded: [UInt8]) {
        open(key)
        bytes.append(contentsOf: encoded)
    }

    /// Closes the object and returns its bytes; the writer is not to be used after.
    ///
    /// Mutating rather than consuming: the closing brace is appended to the caller's own buffer,
    /// which is uniquely referenced, so it is never copied to grow.
    mutating func finish() -> [UInt8] {
        var finished: [UInt8] = []
        swap(&finished, &bytes)
        finished.append(UInt8(ascii: "}"))
        return finished
    }

    /// Starts a member. Its name, a literal of the contract that needs no escaping, is copied as it is.
    private mutating func open(_ key: StaticString) {
        assert(
            key.withUTF8Buffer { !$0.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } },
            "member names are written unescaped")
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func writeNull() {
        bytes.append(contentsOf: "null".utf8)
    }
}
