/// A strict recursive-descent JSON parser over bytes, bounded in depth.
///
/// Written by hand instead of using `JSONSerialization` so that the result keeps member order and
/// number literals, booleans and numbers cannot be confused (`NSNumber`), and the nesting limit is
/// ours: no input can make it trap or exhaust the stack.
///
/// It reads the caller's bytes in place, through a buffer pointer that is valid only while
/// ``JSONValue/parse(_:maximumDepth:)`` runs it: reading through the pointer costs no bounds
/// check beyond the parser's own, and making a string of a run retains nothing.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private let maximumDepth: Int
    /// Whether a container deeper than ``maximumDepth`` is checked and replaced by `null`
    /// instead of failing the parse.
    private let replacingTooDeep: Bool
    private var index: Int
    /// The top-level member whose value is being parsed (when the document is an object).
    private var topLevelKey: String?
    /// The first top-level member whose value had a container replaced (see ``replacingTooDeep``).
    private(set) var firstReplacedTopLevelKey: String?
    /// Whether any container was replaced.
    private(set) var replacedTooDeep = false

    init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int, replacingTooDeep: Bool = false) {
        self.bytes = bytes
        self.end = bytes.count
        self.index = 0
        self.maximumDepth = max(1, maximumDepth)
        self.replacingTooDeep = replacingTooDeep
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == end else { throw fail(.trailingData) }
        return value
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < end else { throw fail(.unexpectedEnd) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw fail(.unexpectedByte(bytes[index]))
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { return try tooDeep() }
        index += 1  // {
        var members: [JSONValue.Member] = []
        // Room for a command envelope's members at once, instead of growing 1, 2, 4, 8.
        members.reserveCapacity(8)
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(bytes[index])) }
            let key = try parseString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw fail(.unexpectedByte(bytes[index])) }
            index += 1
            skipWhitespace()
            if depth == 1 { topLevelKey = key }
            let value = try parseValue(depth: depth)
            members.append(JSONValue.Member(key, value))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else {
                index -= 1
                throw fail(.unexpectedByte(next))
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { return try tooDeep() }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { return .array(elements) }
            guard next == UInt8(ascii: ",") else {
                index -= 1
                throw fail(.unexpectedByte(next))
            }
        }
    }

    /// A container past ``maximumDepth``: an error, or (``replacingTooDeep``) checked without
    /// recursion and replaced by `null`.
    private mutating func tooDeep() throws(JSONParseError) -> JSONValue {
        guard replacingTooDeep else { throw fail(.tooDeep(maximum: maximumDepth)) }
        try skipContainer()
        if !replacedTooDeep { firstReplacedTopLevelKey = topLevelKey }
        replacedTooDeep = true
        return .null
    }

    /// Checks the object or array at `index` as strictly as the recursive parser does, but with
    /// an explicit stack instead of recursion, so any depth fits, and moves past it.
    private mutating func skipContainer() throws(JSONParseError) {
        enum Expect { case value, valueOrClose, key, keyOrClose, colon, commaOrClose }
        var objects: [Bool] = []  // per open container: an object (else an array)
        var expect = Expect.value
        while true {
            skipWhitespace()
            let byte = try peek()
            switch expect {
            case .value, .valueOrClose:
                if expect == .valueOrClose, byte == UInt8(ascii: "]") {
                    index += 1
                    objects.removeLast()
                    if objects.isEmpty { return }
                    expect = .commaOrClose
                    continue
                }
                switch byte {
                case UInt8(ascii: "{"):
                    index += 1
                    objects.append(true)
                    expect = .keyOrClose
                case UInt8(ascii: "["):
                    index += 1
                    objects.append(false)
                    expect = .valueOrClose
                case UInt8(ascii: "\""):
                    _ = try parseString()
                    expect = .commaOrClose
                case UInt8(ascii: "t"):
                    try expectLiteral("true")
                    expect = .commaOrClose
                case UInt8(ascii: "f"):
                    try expectLiteral("false")
                    expect = .commaOrClose
                case UInt8(ascii: "n"):
                    try expectLiteral("null")
                    expect = .commaOrClose
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    _ = try parseNumber()
                    expect = .commaOrClose
                default:
                    throw fail(.unexpectedByte(byte))
                }
            case .key, .keyOrClose:
                if expect == .keyOrClose, byte == UInt8(ascii: "}") {
                    index += 1
                    objects.removeLast()
                    if objects.isEmpty { return }
                    expect = .commaOrClose
                    continue
                }
                guard byte == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(byte)) }
                _ = try parseString()
                expect = .colon
            case .colon:
                guard byte == UInt8(ascii: ":") else { throw fail(.unexpectedByte(byte)) }
                index += 1
                expect = .value
            case .commaOrClose:
                guard let isObject = objects.last else { return }
                if byte == UInt8(ascii: ",") {
                    index += 1
                    expect = isObject ? .key : .value
                } else if byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    objects.removeLast()
                    if objects.isEmpty { return }
                } else {
                    throw fail(.unexpectedByte(byte))
                }
            }
        }
    }

    // MARK: - Strings

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        // Runs of bytes without escapes are validated in place and decoded in one go; only
        // escapes are decoded scalar by scalar.
        var escaped: String?
        var runStart = index
        while true {
            // Past plain ASCII: a quote, a backslash, a control byte or a multi-byte character.
            index = bytes.endOfPlainJSONText(from: index)
            guard index < end else { throw fail(.unexpectedEnd) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let run = text(runStart..<index)
                index += 1
                guard var decoded = escaped else { return run }
                decoded += run
                return decoded
            case UInt8(ascii: "\\"):
                var decoded = escaped ?? ""
                decoded += text(runStart..<index)
                index += 1
                decoded.unicodeScalars.append(try parseEscape())
                escaped = decoded
                runStart = index
            case 0x00..<0x20:
                throw fail(.invalidString)
            default:
                _ = try parseMultiByteScalar()
            }
        }
    }

    /// Decodes one UTF-8 sequence of 2–4 bytes, rejecting overlong forms and surrogates.
    private mutating func parseMultiByteScalar() throws(JSONParseError) -> Unicode.Scalar {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            value = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            value = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            value = UInt32(lead & 0x07)
        default: throw fail(.invalidString)
        }
        guard index + length <= end else { throw fail(.invalidString) }
        for offset in 1..<length {
            let continuation = bytes[index + offset]
            guard continuation & 0xC0 == 0x80 else { throw fail(.invalidString) }
            value = value << 6 | UInt32(continuation & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000)
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw fail(.invalidString) }
        index += length
        return scalar
    }

    private mutating func parseEscape() throws(JSONParseError) -> Unicode.Scalar {
        guard index < end else { throw fail(.unexpectedEnd) }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw fail(.invalidString) }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.invalidString) }
                let combined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                guard let scalar = Unicode.Scalar(combined) else { throw fail(.invalidString) }
                return scalar
            case 0xDC00...0xDFFF:
                throw fail(.invalidString)
            default:
                guard let scalar = Unicode.Scalar(unit) else { throw fail(.invalidString) }
                return scalar
            }
        default:
            index -= 1
            throw fail(.invalidEscape)
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= end else { throw fail(.unexpectedEnd) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidEscape)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    // MARK: - Numbers and literals

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let numberStart = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end else { throw fail(.invalidNumber) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            skipDigits()
        } else {
            throw fail(.invalidNumber)
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            skipDigits()
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < end, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            skipDigits()
        }
        return text(numberStart..<index)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let expected = literal.withUTF8Buffer { Array($0) }
        guard index + expected.count <= end else { throw fail(.unexpectedEnd) }
        for byte in expected {
            guard bytes[index] == byte else { throw fail(.unexpectedByte(bytes[index])) }
            index += 1
        }
    }

    // MARK: - Helpers

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while index < end, isDigit(bytes[index]) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONParseError) -> UInt8 {
        guard index < end else { throw fail(.unexpectedEnd) }
        return bytes[index]
    }

    private func fail(_ kind: JSONParseError.Kind) -> JSONParseError {
        JSONParseError(kind: kind, offset: min(index, end))
    }

    /// The bytes at `range` as a string (`String` checks again what the parser checked).
    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
