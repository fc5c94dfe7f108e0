import Foundation

/// Reads typed fields out of a JSON object while collecting every ``ValidationProblem``.
///
/// Each accessor reports at most one problem for its field and returns `nil` when the field is
/// absent (or `null`, for optional fields) or invalid; callers build a payload only when
/// ``problems`` stayed empty, so a `nil` then always means "absent".
struct FieldReader {
    let object: JSONValue
    private(set) var problems: [ValidationProblem] = []

    init(object: JSONValue) {
        self.object = object
    }

    mutating func report(_ problem: ValidationProblem) {
        problems.append(problem)
    }

    /// A string of `minimum...maximum` characters; `null` counts as the wrong type, absence as missing.
    mutating func requiredString(_ field: String, minimum: Int = 0, maximum: Int) -> String? {
        guard let value = object[field] else {
            report(.missing(field))
            return nil
        }
        return checkedString(field, value, minimum: minimum, maximum: maximum)
    }

    /// A string of at most `maximum` characters, or `nil` when absent or `null`.
    mutating func optionalString(_ field: String, maximum: Int) -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        return checkedString(field, value, minimum: 0, maximum: maximum)
    }

    private mutating func checkedString(_ field: String, _ value: JSONValue, minimum: Int, maximum: Int) -> String? {
        guard let text = value.stringValue else {
            report(.stringType(field))
            return nil
        }
        let (length, containsNUL) = FieldLimits.measure(text)
        if containsNUL {
            report(.nulCharacter(field))
            return nil
        }
        if length < minimum {
            report(.tooShort(field, minimum: minimum))
            return nil
        }
        if length > maximum {
            report(.tooLong(field, maximum: maximum))
            return nil
        }
        return text
    }

    /// One of an enum's raw values; absence is missing, anything else not in the list an `enum` problem.
    mutating func requiredEnum<Value>(_ field: String, _: Value.Type) -> Value?
    where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        guard let value = object[field] else {
            report(.missing(field))
            return nil
        }
        return checkedEnum(field, value, Value.self)
    }

    /// Like ``requiredEnum(_:_:)`` but `nil` when absent or `null`.
    mutating func optionalEnum<Value>(_ field: String, _: Value.Type) -> Value?
    where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        guard let value = object[field], !value.isNull else { return nil }
        return checkedEnum(field, value, Value.self)
    }

    private mutating func checkedEnum<Value>(_ field: String, _ value: JSONValue, _: Value.Type) -> Value?
    where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        if let text = value.stringValue, let parsed = Value(rawValue: text) {
            return parsed
        }
        report(.notOneOf(field, allowed: Value.allCases.map(\.rawValue)))
        return nil
    }

    /// An RFC 3339 date-time, or `nil` when absent or `null`.
    mutating func optionalTimestamp(_ field: String) -> Timestamp? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            report(.datetimeType(field))
            return nil
        }
        guard let timestamp = Timestamp(rfc3339: text) else {
            report(.datetimeParsing(field))
            return nil
        }
        return timestamp
    }

    /// A UUID in the hyphenated form; absence is missing.
    mutating func requiredUUID(_ field: String) -> UUID? {
        guard let value = object[field] else {
            report(.missing(field))
            return nil
        }
        guard let text = value.stringValue else {
            report(.uuidType(field))
            return nil
        }
        guard let uuid = UUID(strictString: text) else {
            report(.uuidParsing(field))
            return nil
        }
        return uuid
    }

    /// An email address of at most `maximum` characters, or `nil` when absent or `null`.
    mutating func optionalEmail(_ field: String, maximum: Int) -> String? {
        let before = problems.count
        guard let text = optionalString(field, maximum: maximum) else { return nil }
        guard problems.count == before else { return nil }
        if let reason = EmailAddressCheck.problem(in: text) {
            report(.invalidEmail(field, reason: reason))
            return nil
        }
        return text
    }
}

extension UUID {
    /// Parses only the canonical 36-character hyphenated form (either case), the form every
    /// producer of this system writes; Foundation's parser is lenient on some platforms.
    public init?(strictString text: String) {
        guard let parsed = text.withUTF8Bytes(Self.parseStrict) else { return nil }
        self.init(uuid: parsed)
    }

    /// ``init(strictString:)`` for UTF-8 bytes (a Kafka message key), without making a `String`.
    public init?(strictUTF8 bytes: [UInt8]) {
        self.init(strictUTF8: bytes[...])
    }

    /// ``init(strictUTF8:)`` for bytes read in place (``Kafka/KafkaMessage/keyBytes``).
    public init?(strictUTF8 bytes: ArraySlice<UInt8>) {
        guard let parsed = bytes.withUnsafeBufferPointer(Self.parseStrict) else { return nil }
        self.init(uuid: parsed)
    }

    /// ``init(strictUTF8:)`` for bytes another library lends (a database column's text).
    public init?(strictUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let parsed = Self.parseStrict(bytes) else { return nil }
        self.init(uuid: parsed)
    }

    /// Exactly 8-4-4-4-12 hex digits, parsed by hand: cheaper than Foundation's parser, which the
    /// worker would run for several ids per command.
    private static func parseStrict(_ bytes: UnsafeBufferPointer<UInt8>) -> uuid_t? {
        guard bytes.count == 36, bytes[8] == hyphen, bytes[13] == hyphen, bytes[18] == hyphen, bytes[23] == hyphen
        else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let complete = withUnsafeMutableBytes(of: &value) { out -> Bool in
            // Any byte outside 0-9, a-f and A-F has its bit 0x10 set in the OR of the nibbles.
            var invalid: UInt8 = 0
            for (position, index) in digitPairs.enumerated() {
                let high = nibbles[Int(bytes[index])]
                let low = nibbles[Int(bytes[index + 1])]
                invalid |= high | low
                out[position] = high << 4 | low & 0x0F
            }
            return invalid & 0x10 == 0
        }
        return complete ? value : nil
    }

    private static let hyphen = UInt8(ascii: "-")

    /// Where each byte's two hex digits start in the 36-character form.
    private static let digitPairs: [Int] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]

    /// Each byte's value as a hex digit, or 0x10 for a byte that is not one.
    private static let nibbles: [UInt8] = (0...255).map { byte -> UInt8 in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(byte) - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt8(byte) - UInt8(ascii: "A") + 10
        default: 0x10
        }
    }
}
