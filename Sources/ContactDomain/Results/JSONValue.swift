/// A JSON document held as plain values, with member order preserved and a deterministic encoding.
///
/// Result bodies and event data are this type's encoding, so that the bytes the worker publishes,
/// stores and later re-publishes are always the same for the same value: members are written in
/// the order they were added, numbers keep their literal spelling, and strings are escaped one
/// fixed way (the worker's hot path writes the same bytes directly, without building the value).
/// Incoming commands are parsed into the same type (see ``parse(_:maximumDepth:)``), which never
/// traps on malformed input.
public enum JSONValue: Sendable, Hashable {
    /// JSON `null`.
    case null
    /// JSON `true` / `false`.
    case bool(Bool)
    /// A JSON number, kept as its literal text (already validated against the JSON grammar) so it
    /// round-trips exactly; build integers with ``integer(_:)``.
    case number(String)
    /// A JSON string.
    case string(String)
    /// A JSON array.
    case array([JSONValue])
    /// A JSON object; members keep their order. Lookups by key take the last member of that name.
    case object([Member])

    /// One `"key": value` pair of an object.
    public struct Member: Sendable, Hashable {
        /// The member name.
        public var key: String
        /// The member value.
        public var value: JSONValue

        /// Creates a member.
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// A number from an integer, spelled the way every JSON encoder spells it.
    public static func integer(_ value: some BinaryInteger) -> JSONValue {
        .number(String(value))
    }

    /// An object from ordered `(key, value)` pairs; the usual way result bodies are built.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { Member($0.key, $0.value) })
    }

    /// A string, or `null` when the value is absent: the encoding of every optional text field.
    public static func string(orNull value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    // MARK: - Reading

    /// The value of the last member named `key`, if this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The string, if this is a JSON string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, if this is a JSON number written as an integer that fits in `Int`.
    public var intValue: Int? {
        if case .number(let literal) = self { return Int(literal) }
        return nil
    }

    /// The boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectMembers: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name used in messages (`object`, `array`, `string`, `number`, `boolean`, `null`).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    // MARK: - Canonical form

    /// The same value with every object's members sorted by the UTF-8 bytes of their names and
    /// duplicate names collapsed to the last one: two documents that differ only in member order,
    /// whitespace or duplicates have the same canonical form (used for command fingerprints).
    public var canonicalized: JSONValue {
        switch self {
        case .null, .bool, .number, .string:
            return self
        case .array(let elements):
            return .array(elements.map(\.canonicalized))
        case .object(let members):
            var lastIndex: [String: Int] = [:]
            for (index, member) in members.enumerated() {
                lastIndex[member.key] = index
            }
            let kept = members.enumerated()
                .filter { lastIndex[$0.element.key] == $0.offset }
                .map { Member($0.element.key, $0.element.value.canonicalized) }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return .object(kept)
        }
    }

    /// Appends the compact encoding of ``canonicalized`` to `out`, without building it: members
    /// sorted by the UTF-8 bytes of their names, of duplicate names the last one only.
    public func writeCanonical(into out: inout [UInt8]) {
        writeCanonical(to: &out)
    }

    /// ``writeCanonical(into:)`` into any sink.
    func writeCanonical<Sink: JSONTextSink & ~Copyable>(to out: inout Sink) {
        switch self {
        case .null, .bool, .number, .string:
            write(to: &out)
        case .array(let elements):
            out.appendByte(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.appendByte(UInt8(ascii: ",")) }
                element.writeCanonical(to: &out)
            }
            out.appendByte(UInt8(ascii: "]"))
        case .object(let members):
            // Positions in name order, equal names in document order, so the last of a run of
            // equal names is the member that counts. Sorted in scratch space (on the stack for
            // small objects).
            withUnsafeTemporaryAllocation(of: Int.self, capacity: members.count) { scratch in
                var order = scratch
                _ = order.initialize(fromContentsOf: members.indices)
                order.sort { left, right in
                    let (a, b) = (members[left].key, members[right].key)
                    return a == b ? left < right : a.utf8.lexicographicallyPrecedes(b.utf8)
                }
                out.appendByte(UInt8(ascii: "{"))
                var first = true
                for (rank, position) in order.enumerated() {
                    let member = members[position]
                    if rank + 1 < order.count, members[order[rank + 1]].key == member.key { continue }
                    if !first { out.appendByte(UInt8(ascii: ",")) }
                    first = false
                    Self.writeString(member.key, to: &out)
                    out.appendByte(UInt8(ascii: ":"))
                    member.value.writeCanonical(to: &out)
                }
                out.appendByte(UInt8(ascii: "}"))
            }
        }
    }

    // MARK: - Parsing

    /// The default limit on nesting depth of parsed documents; deeper input is rejected, not
    /// recursed into, so hostile input cannot exhaust the stack.
    public static let defaultMaximumDepth = 64

    /// Parses UTF-8 JSON text (RFC 8259, strict: no comments, no trailing commas, no lone
    /// surrogates, no byte-order mark), rejecting nesting deeper than `maximumDepth`.
    ///
    /// Never traps: every malformed input ends in a ``JSONParseError`` naming the byte offset.
    public static func parse(
        _ bytes: some Collection<UInt8>, maximumDepth: Int = defaultMaximumDepth
    ) throws(JSONParseError) -> JSONValue {
        try parse(bytes, maximumDepth: maximumDepth, replacingTooDeep: false).value
    }

    /// Parses like ``parse(_:maximumDepth:)``, except that a container deeper than
    /// `maximumDepth` is still checked (without recursion) but comes back as `null`. Returns the
    /// top-level member that held the first such container (when the document is an object).
    static func parseReplacingTooDeep(
        _ bytes: some Collection<UInt8>, maximumDepth: Int = defaultMaximumDepth
    ) throws(JSONParseError) -> (value: JSONValue, replaced: Bool, topLevelKey: String?) {
        try parse(bytes, maximumDepth: maximumDepth, replacingTooDeep: true)
    }

    /// Parses `bytes` in one buffer: an array's or a slice's own storage, read in place (a command
    /// is parsed straight from the poll's buffer), any other collection copied.
    private static func parse(
        _ bytes: some Collection<UInt8>, maximumDepth: Int, replacingTooDeep: Bool
    ) throws(JSONParseError) -> (value: JSONValue, replaced: Bool, topLevelKey: String?) {
        let slice: ArraySlice<UInt8> =
            if let slice = bytes as? ArraySlice<UInt8> { slice } else if let array = bytes as? [UInt8] {
                array[...]
            } else { Array(bytes)[...] }
        return try slice.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var parser = JSONParser(bytes: buffer, maximumDepth: maximumDepth, replacingTooDeep: replacingTooDeep)
            let value = try parser.parseDocument()
            return (value, parser.replacedTooDeep, parser.firstReplacedTopLevelKey)
        }
    }

    // MARK: - Encoding

    /// The compact UTF-8 encoding: no insignificant whitespace, members in order, `/` not escaped,
    /// control characters as `\n`-style or `\u00XX` escapes, everything else written as UTF-8.
    /// The same value always yields the same bytes.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    /// ``encoded()`` as a `String`.
    public var encodedString: String {
        String(decoding: encoded(), as: UTF8.self)
    }

    /// Appends the compact encoding to `out`.
    public func write(into out: inout [UInt8]) {
        write(to: &out)
    }

    /// ``write(into:)`` into any sink.
    func write<Sink: JSONTextSink & ~Copyable>(to out: inout Sink) {
        switch self {
        case .null:
            out.appendLiteral("null")
        case .bool(let value):
            out.appendLiteral(value ? "true" : "false")
        case .number(let literal):
            literal.withUTF8Bytes { out.appendBytes($0) }
        case .string(let value):
            Self.writeString(value, to: &out)
        case .array(let elements):
            out.appendByte(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.appendByte(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.appendByte(UInt8(ascii: "]"))
        case .object(let members):
            out.appendByte(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.appendByte(UInt8(ascii: ",")) }
                Self.writeString(member.key, to: &out)
                out.appendByte(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.appendByte(UInt8(ascii: "}"))
        }
    }

    static func writeString<Sink: JSONTextSink & ~Copyable>(_ value: String, to out: inout Sink) {
        out.appendByte(UInt8(ascii: "\""))
        // Runs that need no escaping are copied at once.
        value.withUTF8Bytes { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    out.appendBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    writeEscape(byte, to: &out)
                    runStart = index + 1
                }
                index += 1
            }
            out.appendBytes(UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.appendByte(UInt8(ascii: "\""))
    }

    private static func writeEscape<Sink: JSONTextSink & ~Copyable>(_ byte: UInt8, to out: inout Sink) {
        out.appendByte(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.appendByte(byte)
        case 0x0A: out.appendByte(UInt8(ascii: "n"))
        case 0x0D: out.appendByte(UInt8(ascii: "r"))
        case 0x09: out.appendByte(UInt8(ascii: "t"))
        case 0x08: out.appendByte(UInt8(ascii: "b"))
        case 0x0C: out.appendByte(UInt8(ascii: "f"))
        default:
            out.appendByte(UInt8(ascii: "u"))
            out.appendByte(UInt8(ascii: "0"))
            out.appendByte(UInt8(ascii: "0"))
            out.appendByte(hexDigit(byte >> 4))
            out.appendByte(hexDigit(byte & 0x0F))
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

// MARK: - Codable

extension JSONValue: Codable {
    /// Decodes any JSON value. Object member order is not observable through `Decoder`, so
    /// members come out sorted by name; prefer ``parse(_:maximumDepth:)`` for raw bytes.
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [Member] = []
            for key in container.allKeys {
                members.append(Member(key.stringValue, try container.decode(JSONValue.self, forKey: key)))
            }
            self = JSONValue.object(members).canonicalized
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !container.isAtEnd {
                elements.append(try container.decode(JSONValue.self))
            }
            self = .array(elements)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(String(value))
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Encodes the value through an `Encoder`; numbers that are not integers go through `Double`.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .number(let literal):
            var container = encoder.singleValueContainer()
            if let integer = Int64(literal) {
                try container.encode(integer)
            } else {
                try container.encode(Double(literal) ?? 0)
            }
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements {
                try container.encode(element)
            }
        case .object(let members):
            var container = encoder.container(keyedBy: AnyKey.self)
            for member in members {
                try container.encode(member.value, forKey: AnyKey(stringValue: member.key))
            }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
