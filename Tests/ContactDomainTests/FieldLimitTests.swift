import Testing

@testable import ContactDomain

/// One length boundary of docs/contract.md §3: the field, the command, the longest accepted length and the
/// shortest accepted length.
struct LimitCase: Sendable, CustomTestStringConvertible {
    var type: String
    var field: String
    var minimum: Int
    var maximum: Int
    /// Other payload fields needed for the payload to be valid.
    var base: [String: String]

    var testDescription: String { "\(type).\(field) \(minimum)…\(maximum)" }

    static let all: [LimitCase] = [
        LimitCase(type: "CreateContact", field: "first_name", minimum: 0, maximum: 100, base: [:]),
        LimitCase(type: "CreateContact", field: "last_name", minimum: 0, maximum: 100, base: [:]),
        LimitCase(type: "CreateContact", field: "company_name", minimum: 0, maximum: 200, base: [:]),
        LimitCase(type: "CreateContact", field: "phone", minimum: 0, maximum: 20, base: ["first_name": "A"]),
        LimitCase(type: "AddInteraction", field: "description", minimum: 1, maximum: 1000, base: ["type": "call"]),
        LimitCase(
            type: "AddInteraction", field: "outcome", minimum: 0, maximum: 200,
            base: ["type": "call", "description": "d"]),
        LimitCase(
            type: "AddInteraction", field: "next_action", minimum: 0, maximum: 500,
            base: ["type": "call", "description": "d"]),
        LimitCase(
            type: "UpdateStatus", field: "reason", minimum: 0, maximum: 500, base: ["relationship_status": "inactive"]),
        LimitCase(
            type: "UpdateStatus", field: "notes", minimum: 0, maximum: 2000, base: ["relationship_status": "inactive"]),
    ]

    func payload(_ value: String) -> JSONValue {
        var members = base.sorted { $0.key < $1.key }.map { JSONValue.Member($0.key, .string($0.value)) }
        members.append(.init(field, .string(value)))
        return .object(members)
    }
}

@Suite("Field limits at their boundaries (docs/contract.md §3)")
struct FieldLimitTests {
    @Test("the maximum is accepted, one more is string_too_long", arguments: LimitCase.all)
    func maximum(limit: LimitCase) throws {
        #expect(try Fixtures.problems(type: limit.type, payload: limit.payload(Fixtures.string(limit.maximum))) == [])
        #expect(
            try Fixtures.problems(type: limit.type, payload: limit.payload(Fixtures.string(limit.maximum + 1))) == [
                ValidationProblem(
                    loc: ["body", limit.field], msg: "String should have at most \(limit.maximum) characters",
                    type: "string_too_long")
            ])
    }

    @Test("the minimum is accepted, one less is string_too_short", arguments: LimitCase.all.filter { $0.minimum > 0 })
    func minimum(limit: LimitCase) throws {
        #expect(try Fixtures.problems(type: limit.type, payload: limit.payload(Fixtures.string(limit.minimum))) == [])
        #expect(
            try Fixtures.problems(type: limit.type, payload: limit.payload(Fixtures.string(limit.minimum - 1))) == [
                ValidationProblem(
                    loc: ["body", limit.field], msg: "String should have at least 1 character", type: "string_too_short"
                )
            ])
    }

    @Test("email: 320 characters accepted, 321 too long")
    func emailLength() throws {
        let domain = "@" + Fixtures.string(63, "d") + "." + Fixtures.string(63, "e") + ".com"
        let at320 = Fixtures.string(320 - domain.count, "l") + domain
        let at321 = "l" + at320
        #expect(at320.count == 320)
        #expect(
            try Fixtures.problems(
                type: "CreateContact", payload: .object(["first_name": .string("A"), "email": .string(at320)]))
                == [])
        #expect(
            try Fixtures.problems(
                type: "CreateContact", payload: .object(["first_name": .string("A"), "email": .string(at321)]))
                == [
                    ValidationProblem(
                        loc: ["body", "email"], msg: "String should have at most 320 characters",
                        type: "string_too_long")
                ])
    }

    @Test("business_id: 255 characters accepted, 256 too long")
    func businessIDLength() throws {
        #expect(try Fixtures.decode(Fixtures.envelope(businessID: .string(Fixtures.string(255)))).problems == [])
        #expect(
            try Fixtures.decode(Fixtures.envelope(businessID: .string(Fixtures.string(256)))).problems.map(\.type) == [
                "string_too_long"
            ])
    }

    @Test("limits count characters (Unicode scalars), not bytes")
    func countsCharacters() throws {
        #expect(
            try Fixtures.problems(
                type: "CreateContact", payload: .object(["first_name": .string(Fixtures.string(100, "é"))])) == [])
        #expect(
            try Fixtures.problems(
                type: "CreateContact", payload: .object(["first_name": .string(Fixtures.string(101, "é"))])
            )
            .map(\.type) == ["string_too_long"])
    }

    @Test("lengths and NULs are counted eight bytes at a time, exactly as scalar by scalar")
    func measuresByWords() {
        let scalars: [Unicode.Scalar] = ["a", "\u{0}", "\u{7F}", "\u{80}", "é", "€", "\u{FFFF}", "😀", "\u{10FFFF}"]
        for filler in ["a", "é", "😀"] {
            for prefix in 0...17 {
                for scalar in scalars {
                    let text =
                        String(repeating: filler, count: prefix) + String(Character(scalar))
                        + String(repeating: filler, count: 3)
                    let measured = FieldLimits.measure(text)
                    #expect(
                        measured.length == text.unicodeScalars.count, "\(prefix) × \(filler), then U+\(scalar.value)")
                    #expect(
                        measured.containsNUL == (scalar == "\u{0}"), "\(prefix) × \(filler), then U+\(scalar.value)")
                }
            }
        }
        #expect(FieldLimits.measure("") == (0, false))
    }

    @Test(
        "a NUL character in any string field is a value_error (PostgreSQL text cannot hold it)",
        arguments: LimitCase.all)
    func nulCharacter(limit: LimitCase) throws {
        #expect(
            try Fixtures.problems(type: limit.type, payload: limit.payload("a\u{0}b")) == [
                ValidationProblem(
                    loc: ["body", limit.field], msg: "Value error, must not contain the NUL character (U+0000)",
                    type: "value_error")
            ])
    }

    @Test("unvalidated values are echoed cut to 255 characters, NUL replaced, so a result always fits")
    func echoesAreBounded() throws {
        let long = Fixtures.string(300, "é")
        let decoded = try Fixtures.decode(
            Fixtures.envelope(
                commandID: .string("id-" + long), type: .string("T\u{0}" + long), businessID: .string(long),
                contactID: .string(long)))
        #expect(decoded.commandID == "id-" + Fixtures.string(252, "é"))
        #expect(decoded.commandType == "T\u{FFFD}" + Fixtures.string(253, "é"))
        #expect(decoded.businessID == Fixtures.string(255, "é"))
        #expect(decoded.contactID == Fixtures.string(255, "é"))
        #expect(decoded.problems.map(\.type) == ["uuid_parsing", "enum", "string_too_long", "uuid_parsing"])
        #expect(FieldLimits.echoed("plain") == "plain")
    }

    @Test("correlation-id: 255 characters echoed as is, a longer one is a 422 and echoed cut")
    func correlationIDLength() throws {
        let envelope = Fixtures.envelope().encoded()
        let fits = CommandDecoder().classify(
            value: envelope, messageTimestamp: nil, headers: CommandHeaders(correlationID: Fixtures.string(255, "é")))
        #expect(fits.command?.problems == [])
        #expect(fits.command?.headers.correlationID == Fixtures.string(255, "é"))
        let long = CommandDecoder().classify(
            value: envelope, messageTimestamp: nil, headers: CommandHeaders(correlationID: Fixtures.string(600_000)))
        #expect(
            long.command?.problems == [
                ValidationProblem(
                    loc: ["header", "correlation-id"], msg: "String should have at most 255 characters",
                    type: "string_too_long")
            ])
        #expect(long.command?.headers.correlationID == Fixtures.string(255))
    }
}
