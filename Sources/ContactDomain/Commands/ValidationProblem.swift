/// One entry of a 422 `detail` list, in the style of the source API (FastAPI / pydantic v2).
///
/// `loc` is `["body", "<field>"]`: the envelope field (`type`, `business_id`, …) or the payload
/// field (`description`, `email`, …) at fault — payload fields are named directly, as the source
/// API's request body had them at top level. Every problem of a command is reported, at most one
/// per field.
///
/// | `type` | `msg` |
/// |---|---|
/// | `missing` | `Field required` |
/// | `string_type` | `Input should be a valid string` |
/// | `string_too_short` | `String should have at least 1 character` |
/// | `string_too_long` | `String should have at most 100 characters` |
/// | `enum` | `Input should be 'call', 'email', … or 'note'` |
/// | `uuid_type` | `UUID input should be a string, bytes or UUID object` |
/// | `uuid_parsing` | `Input should be a valid UUID, …` |
/// | `datetime_type` | `Input should be a valid datetime` |
/// | `datetime_parsing` | `Input should be a valid datetime, …` |
/// | `dict_type` | `Input should be a valid dictionary` |
/// | `value_error` | `value is not a valid email address: …`, or the name rule's message |
public struct ValidationProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is: `["body", field]`.
    public var loc: [String]
    /// Human-readable explanation.
    public var msg: String
    /// Machine-readable kind (`missing`, `string_too_long`, …).
    public var type: String

    /// Creates a problem.
    public init(loc: [String], msg: String, type: String) {
        self.loc = loc
        self.msg = msg
        self.type = type
    }

    /// The `{"loc": […], "msg": …, "type": …}` object of the 422 body.
    public var json: JSONValue {
        .object([
            "loc": .array(loc.map(JSONValue.string)),
            "msg": .string(msg),
            "type": .string(type),
        ])
    }

    /// `body.field: msg (type)`, for logs.
    public var description: String {
        "\(loc.joined(separator: ".")): \(msg) (\(type))"
    }

    // MARK: - The problems this module reports

    /// The message of the CreateContact rule that at least one name must be given.
    public static let nameRequiredMessage = "At least one of first_name, last_name or company_name is required"

    static func missing(_ field: String) -> Self {
        .init(loc: ["body", field], msg: "Field required", type: "missing")
    }

    static func stringType(_ field: String) -> Self {
        .init(loc: ["body", field], msg: "Input should be a valid string", type: "string_type")
    }

    static func tooShort(_ field: String, minimum: Int) -> Self {
        .init(
            loc: ["body", field],
            msg: "String should have at least \(minimum) character\(minimum == 1 ? "" : "s")",
            type: "string_too_short")
    }

    static func tooLong(_ field: String, maximum: Int) -> Self {
        .init(
            loc: ["body", field],
            msg: "String should have at most \(maximum) character\(maximum == 1 ? "" : "s")",
            type: "string_too_long")
    }

    static func nulCharacter(_ field: String) -> Self {
        .init(
            loc: ["body", field], msg: "Value error, must not contain the NUL character (U+0000)", type: "value_error")
    }

    static func tooDeep(_ field: String, maximum: Int) -> Self {
        .init(loc: ["body", field], msg: "Value error, JSON nested deeper than \(maximum) levels", type: "value_error")
    }

    static func headerTooLong(_ header: String, maximum: Int) -> Self {
        .init(
            loc: ["header", header], msg: "String should have at most \(maximum) characters", type: "string_too_long")
    }

    static func notOneOf(_ field: String, allowed: [String]) -> Self {
        let quoted = allowed.map { "'\($0)'" }
        let list =
            quoted.count > 1
            ? quoted.dropLast().joined(separator: ", ") + " or " + (quoted.last ?? "")
            : quoted.joined()
        return .init(loc: ["body", field], msg: "Input should be \(list)", type: "enum")
    }

    static func uuidType(_ field: String) -> Self {
        .init(loc: ["body", field], msg: "UUID input should be a string, bytes or UUID object", type: "uuid_type")
    }

    static func uuidParsing(_ field: String) -> Self {
        .init(
            loc: ["body", field],
            msg: "Input should be a valid UUID, expected the hyphenated form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            type: "uuid_parsing")
    }

    static func datetimeType(_ field: String) -> Self {
        .init(loc: ["body", field], msg: "Input should be a valid datetime", type: "datetime_type")
    }

    static func datetimeParsing(_ field: String) -> Self {
        .init(
            loc: ["body", field],
            msg: "Input should be a valid datetime, expected an RFC 3339 date-time such as 2024-01-10T14:30:00Z",
            type: "datetime_parsing")
    }

    static func dictType(_ field: String) -> Self {
        .init(loc: ["body", field], msg: "Input should be a valid dictionary", type: "dict_type")
    }

    static func invalidEmail(_ field: String, reason: String) -> Self {
        .init(loc: ["body", field], msg: "value is not a valid email address: \(reason)", type: "value_error")
    }

    static let nameRequired = Self(loc: ["body", "first_name"], msg: nameRequiredMessage, type: "value_error")
}
