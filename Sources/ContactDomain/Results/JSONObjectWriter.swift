import Foundation

/// Writes one compact JSON object member by member straight into a ``JSONTextBuffer``, in the
/// order the members are given, with the escaping of ``JSONValue/write(into:)``.
///
/// The messages the worker writes for every command (results, events) have fixed members; writing
/// them directly gives the same bytes as building a ``JSONValue`` and encoding it, without the
/// intermediate tree. Member names (literals) and ids and timestamps are copied or spelled straight
/// into the buffer: their characters never need escaping.
///
/// Not copyable, as its buffer is not: a writer exists only during ``bytes(_:)`` or
/// ``withObject(_:_:)``.
struct JSONObjectWriter: ~Copyable, JSONObjectSink {
    private var text: JSONTextBuffer
    private var isEmpty = true

    private init(text: consuming JSONTextBuffer) {
        self.text = text
    }

    /// The bytes of the object whose members `members` writes.
    static func bytes(_ members: (inout JSONObjectWriter) -> Void) -> [UInt8] {
        withObject(members) { Array($0) }
    }

    /// Writes the object whose members `members` writes, and calls `body` with its bytes (valid
    /// only during the call).
    static func withObject<Result>(
        _ members: (inout JSONObjectWriter) -> Void, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        JSONTextBuffer.withBuffer { buffer in
            buffer.appendByte(UInt8(ascii: "{"))
            var writer = JSONObjectWriter(text: buffer)
            members(&writer)
            writer.text.appendByte(UInt8(ascii: "}"))
            buffer = writer.finish()
            return buffer.withBytes(body)
        }
    }

    /// Ends the writer, handing its buffer back.
    private consuming func finish() -> JSONTextBuffer {
        text
    }

    mutating func string(_ key: StaticString, _ value: String) {
        open(key)
        JSONValue.writeString(value, to: &text)
    }

    mutating func string(_ key: StaticString, orNull value: String?) {
        open(key)
        if let value {
            JSONValue.writeString(value, to: &text)
        } else {
            text.appendLiteral("null")
        }
    }

    mutating func uuid(_ key: StaticString, _ value: UUID) {
        open(key)
        text.appendByte(UInt8(ascii: "\""))
        value.writeLowercased(to: &text)
        text.appendByte(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ key: StaticString, _ value: Timestamp) {
        open(key)
        text.appendByte(UInt8(ascii: "\""))
        value.writeRFC3339(to: &text)
        text.appendByte(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ key: StaticString, orNull value: Timestamp?) {
        if let value {
            timestamp(key, value)
        } else {
            open(key)
            text.appendLiteral("null")
        }
    }

    /// An integer member.
    mutating func integer(_ key: StaticString, _ value: Int) {
        open(key)
        // At most 20 characters: a sign and 19 digits.
        text.appendInPlace(maximumCount: 20) { space in
            var magnitude = value.magnitude
            var end = space.count
            repeat {
                end -= 1
                space[end] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                end -= 1
                space[end] = UInt8(ascii: "-")
            }
            let length = space.count - end
            if end > 0 {
                for index in 0..<length { space[index] = space[end + index] }
            }
            return length
        }
    }

    /// A boolean member.
    mutating func bool(_ key: StaticString, _ value: Bool) {
        open(key)
        text.appendLiteral(value ? "true" : "false")
    }

    /// A member whose value is any JSON value.
    mutating func value(_ key: StaticString, _ value: JSONValue) {
        open(key)
        value.write(to: &text)
    }

    /// A member whose value is any JSON value in canonical form (``JSONValue/writeCanonical(into:)``).
    mutating func canonical(_ key: StaticString, _ value: JSONValue) {
        open(key)
        value.writeCanonical(to: &text)
    }

    /// A member whose value is an object, its members written by `members` into the same buffer.
    mutating func object(_ key: StaticString, _ members: (inout JSONObjectWriter) -> Void) {
        open(key)
        text.appendByte(UInt8(ascii: "{"))
        isEmpty = true
        members(&self)
        text.appendByte(UInt8(ascii: "}"))
        isEmpty = false
    }

    /// A member whose value is already encoded: `encoded` must be exactly one compact JSON value.
    mutating func encoded(_ key: StaticString, _ encoded: [UInt8]) {
        open(key)
        encoded.withUnsafeBufferPointer { text.appendBytes($0) }
    }

    /// Starts a member. Its name, a literal of the contract that needs no escaping, is copied as it is.
    private mutating func open(_ key: StaticString) {
        assert(
            key.withUTF8Buffer { !$0.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } },
            "member names are written unescaped")
        if !isEmpty { text.appendByte(UInt8(ascii: ",")) }
        text.appendByte(UInt8(ascii: "\""))
        key.withUTF8Buffer { text.appendBytes($0) }
        text.appendByte(UInt8(ascii: "\""))
        text.appendByte(UInt8(ascii: ":"))
        isEmpty = false
    }
}
