/// Writes one compact JSON object member by member straight into a byte buffer, in the order the
/// members are given, with the escaping of ``JSONValue/write(into:)``.
///
/// The messages the worker writes for every command (results, events) have fixed members; writing
/// them directly gives the same bytes as building a ``JSONValue`` and encoding it, without the
/// intermediate tree.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8]
    private var isEmpty = true

    /// Starts an object, reserving `capacity` bytes for the whole of it.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// A string member.
    mutating func string(_ key: String, _ value: String) {
        open(key)
        JSONValue.writeString(value, into: &bytes)
    }

    /// A string member, `null` when `value` is absent.
    mutating func string(_ key: String, orNull value: String?) {
        open(key)
        if let value {
            JSONValue.writeString(value, into: &bytes)
        } else {
            bytes.append(contentsOf: "null".utf8)
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
}
