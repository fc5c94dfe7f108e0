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
        guard bytes.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let complete = withUnsafeMutableBytes(of: &value) { out -> Bool in
            var position = 0
            var index = 0
            while index < 36 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard bytes[index] == UInt8(ascii: "-") else { return false }
                    index += 1
                    continue
                }
                guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else {
                    return false
                }
                out[position] = high << 4 | low
                position += 1
                index += 2
            }
            return position == 16
        }
        return complete ? value : nil
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
