import Foundation
import Testing

@testable import ContactDomain

@Suite("Classifying raw messages (docs/contract.md §8)")
struct CommandClassificationTests {
    @Test(
        "anything that is not an object with a string command_id is dead-lettered",
        arguments: [
            ("", "value is empty"),
            ("xml <no/>", "value is not valid JSON: unexpected byte 0x78 at offset 0"),
            ("[1,2]", "value is a JSON array, not an object"),
            ("\"text\"", "value is a JSON string, not an object"),
            ("42", "value is a JSON number, not an object"),
            ("null", "value is a JSON null, not an object"),
            ("{}", "command_id is missing"),
            (#"{"type":"CreateContact"}"#, "command_id is missing"),
            (#"{"command_id":42}"#, "command_id is a number, not a string"),
            (#"{"command_id":null}"#, "command_id is a null, not a string"),
            (#"{"command_id":["x"]}"#, "command_id is a array, not a string"),
            (#"{"command_id":"x""#, "value is not valid JSON: unexpected end of input at offset 17"),
        ])
    func deadLetters(text: String, reason: String) {
        #expect(
            CommandDecoder().classify(value: Array(text.utf8), messageTimestamp: nil) == .deadLetter(reason: reason))
    }

    @Test("oversized values are dead-lettered before parsing; the limit is configurable")
    func oversized() {
        let big =
            Array(#"{"command_id":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 1 << 20) + Array(#""}"#.utf8)
        #expect(
            CommandDecoder().classify(value: big, messageTimestamp: nil)
                == .deadLetter(reason: "value is \(big.count) bytes, more than the maximum of 1048576"))
        let small = CommandDecoder(maximumSize: 10)
        #expect(small.classify(value: Array(#"{"command_id":"x"}"#.utf8), messageTimestamp: nil).command == nil)
    }

    @Test("absurd nesting that is not valid JSON is dead-lettered, not a crash")
    func deepNesting() {
        let text = #"{"command_id":"x","payload":"# + String(repeating: "[", count: 50_000)
        guard case .deadLetter(let reason) = CommandDecoder().classify(value: Array(text.utf8), messageTimestamp: nil)
        else {
            Issue.record("expected a dead letter")
            return
        }
        #expect(reason == "value is not valid JSON: nesting deeper than 64 levels at offset 91")
        let noCommandID = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        guard
            case .deadLetter(let other) = CommandDecoder().classify(
                value: Array(noCommandID.utf8), messageTimestamp: nil)
        else {
            Issue.record("expected a dead letter")
            return
        }
        #expect(other == "value is not valid JSON: nesting deeper than 64 levels at offset 64")
    }

    @Test("a command nested deeper than 64 levels is still a command: a 422 naming the field, with its echoes")
    func deepCommand() throws {
        let deep = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        let text =
            #"{"command_id":"\#(Fixtures.uuid(1).lowercasedString)","type":"AddInteraction","business_id":"biz-1","contact_id":"\#(Fixtures.contactID.lowercasedString)","payload":{"type":"call","description":"d","extra":"#
            + deep + "}}"
        let decoded = try #require(
            CommandDecoder().classify(value: Array(text.utf8), messageTimestamp: Fixtures.messageTimestamp).command)
        #expect(
            decoded.problems == [
                ValidationProblem(
                    loc: ["body", "payload"], msg: "Value error, JSON nested deeper than 64 levels", type: "value_error"
                )
            ])
        #expect(decoded.commandID == Fixtures.uuid(1).lowercasedString)
        #expect(decoded.commandType == "AddInteraction")
        #expect(decoded.businessID == "biz-1")
        // Invalid JSON inside the deep part is still invalid JSON.
        let broken = text.replacingOccurrences(of: #"{"a":1}"#, with: #"{"a":1,}"#)
        #expect(CommandDecoder().classify(value: Array(broken.utf8), messageTimestamp: nil).command == nil)
    }

    @Test("a string command_id makes it a command, whatever else is wrong")
    func commandEvenIfBroken() throws {
        let decoded = try #require(
            CommandDecoder().classify(
                value: Array(#"{"command_id":"not-a-uuid","type":7}"#.utf8), messageTimestamp: nil
            )
            .command)
        #expect(decoded.commandID == "not-a-uuid")
        #expect(decoded.commandType == nil)
        #expect(
            decoded.problems.map(\.loc) == [
                ["body", "command_id"], ["body", "type"], ["body", "business_id"], ["body", "contact_id"],
                ["body", "issued_at"], ["body", "payload"],
            ])
        #expect(decoded.problems.map(\.type) == ["uuid_parsing", "enum", "missing", "missing", "missing", "missing"])
    }

    @Test("a valid command decodes fully; ids are lower-cased; headers are carried")
    func validCommand() throws {
        let json = Fixtures.envelope(
            commandID: .string("0B6F3C1E-7D5A-4A53-9D8E-2F1C7E9A4B10"),
            payload: .object(["first_name": .string("Ada"), "unknown_extra": .integer(1)]))
        let decoded = try #require(
            CommandDecoder().classify(
                value: json.encoded(), messageTimestamp: nil,
                headers: CommandHeaders(authorization: "Bearer t", correlationID: "corr-1")
            ).command)
        let envelope = try #require(decoded.envelope)
        #expect(decoded.commandID == "0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10")
        #expect(envelope.commandID == UUID(uuidString: "0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10"))
        #expect(envelope.businessID == Fixtures.businessID)
        #expect(envelope.contactID == Fixtures.contactID)
        #expect(envelope.issuedAt == Fixtures.issuedAt)
        #expect(envelope.issuedAtIsExplicit)
        #expect(envelope.payload == .createContact(CreateContactPayload(firstName: "Ada")))
        #expect(decoded.headers == CommandHeaders(authorization: "Bearer t", correlationID: "corr-1"))
    }

    @Test("issued_at defaults to the message timestamp; with neither it is missing")
    func issuedAtDefault() throws {
        let withoutIssuedAt = Fixtures.envelope(issuedAt: nil)
        let decoded = try Fixtures.decode(withoutIssuedAt, messageTimestamp: Fixtures.messageTimestamp)
        #expect(decoded.envelope?.issuedAt == Fixtures.messageTimestamp)
        #expect(decoded.envelope?.issuedAtIsExplicit == false)
        let nullIssuedAt = try Fixtures.decode(
            Fixtures.envelope(issuedAt: .null), messageTimestamp: Fixtures.messageTimestamp)
        #expect(nullIssuedAt.envelope?.issuedAt == Fixtures.messageTimestamp)
        let neither = try Fixtures.decode(withoutIssuedAt, messageTimestamp: nil)
        #expect(
            neither.problems == [ValidationProblem(loc: ["body", "issued_at"], msg: "Field required", type: "missing")])
        let explicit = try Fixtures.decode(
            Fixtures.envelope(issuedAt: .string("2024-01-10T16:30:00+02:00")),
            messageTimestamp: Fixtures.messageTimestamp)
        #expect(explicit.envelope?.issuedAt == Fixtures.issuedAt)
    }

    @Test("an issued_at before year 1 or after 9999 in UTC is a 422 problem, not a trap")
    func issuedAtOutOfRange() throws {
        for text in ["0000-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00"] {
            let decoded = try Fixtures.decode(Fixtures.envelope(issuedAt: .string(text)))
            #expect(
                decoded.problems == [
                    ValidationProblem(
                        loc: ["body", "issued_at"],
                        msg:
                            "Input should be a valid datetime, expected an RFC 3339 date-time such as 2024-01-10T14:30:00Z",
                        type: "datetime_parsing")
                ])
        }
    }

    @Test("every envelope problem is reported, each with its pydantic-style type and message")
    func envelopeProblems() throws {
        let decoded = try Fixtures.decode(
            Fixtures.envelope(
                commandID: .string("nope"), type: .string("DeleteContact"), businessID: .integer(5),
                contactID: .string("also-nope"), issuedAt: .string("yesterday"), payload: .array([])))
        #expect(
            decoded.problems == [
                ValidationProblem(
                    loc: ["body", "command_id"],
                    msg:
                        "Input should be a valid UUID, expected the hyphenated form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                    type: "uuid_parsing"),
                ValidationProblem(
                    loc: ["body", "type"], msg: "Input should be 'CreateContact', 'AddInteraction' or 'UpdateStatus'",
                    type: "enum"),
                ValidationProblem(
                    loc: ["body", "business_id"], msg: "Input should be a valid string", type: "string_type"),
                ValidationProblem(
                    loc: ["body", "contact_id"],
                    msg:
                        "Input should be a valid UUID, expected the hyphenated form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                    type: "uuid_parsing"),
                ValidationProblem(
                    loc: ["body", "issued_at"],
                    msg:
                        "Input should be a valid datetime, expected an RFC 3339 date-time such as 2024-01-10T14:30:00Z",
                    type: "datetime_parsing"),
                ValidationProblem(
                    loc: ["body", "payload"], msg: "Input should be a valid dictionary", type: "dict_type"),
            ])
        #expect(decoded.commandType == "DeleteContact")
        #expect(decoded.businessID == nil)
        #expect(decoded.contactID == "also-nope")
    }

    @Test("non-string ids and date-times get the *_type problems")
    func typeProblems() throws {
        let decoded = try Fixtures.decode(Fixtures.envelope(contactID: .integer(1), issuedAt: .bool(true)))
        #expect(decoded.problems.map(\.type) == ["uuid_type", "datetime_type"])
        let empty = try Fixtures.decode(Fixtures.envelope(businessID: .string("")))
        #expect(
            empty.problems == [
                ValidationProblem(
                    loc: ["body", "business_id"], msg: "String should have at least 1 character",
                    type: "string_too_short")
            ])
    }

    @Test("the echo fields keep what could be read for the result")
    func echoFields() throws {
        let decoded = try Fixtures.decode(Fixtures.envelope(type: .string("AddInteraction"), payload: .object([:])))
        #expect(decoded.commandType == "AddInteraction")
        #expect(decoded.businessID == Fixtures.businessID)
        #expect(decoded.contactID == Fixtures.contactID.lowercasedString)
    }

    @Test(
        "command_id and contact_id are echoed as lowercase UUIDs in whatever case they were sent, as sent otherwise",
        arguments: [
            ("0a1b2c3d-00ef-4000-8000-00000000abcd", "0a1b2c3d-00ef-4000-8000-00000000abcd"),
            ("0A1B2C3D-00EF-4000-8000-00000000ABCD", "0a1b2c3d-00ef-4000-8000-00000000abcd"),
            ("0a1b2c3d-00Ef-4000-8000-00000000abcD", "0a1b2c3d-00ef-4000-8000-00000000abcd"),
            ("0a1b2c3d-00ef-4000-8000-00000000abcg", "0a1b2c3d-00ef-4000-8000-00000000abcg"),
            ("not-a-uuid", "not-a-uuid"),
        ])
    func echoedIDs(sent: String, echoed: String) throws {
        let decoded = try Fixtures.decode(Fixtures.envelope(commandID: .string(sent), contactID: .string(sent)))
        #expect(decoded.commandID == echoed)
        #expect(decoded.contactID == echoed)
    }

    @Test("an envelope built in Swift encodes to bytes that decode back to it")
    func envelopeRoundTrip() throws {
        let envelope = Fixtures.commandEnvelope(
            .addInteraction(
                AddInteractionPayload(
                    type: .followUp, description: "Called back", outcome: "Interested", nextAction: "Send quote",
                    scheduledFollowUp: Timestamp(rfc3339: "2024-01-12T09:00:00Z"))))
        let decoded = try #require(CommandDecoder().classify(value: envelope.encoded(), messageTimestamp: nil).command)
        #expect(decoded.envelope == envelope)
        #expect(decoded.fingerprint == CommandFingerprint.compute(envelope))
    }

    @Test("fingerprints are stable across releases: the value stored for a command must keep matching it")
    func fingerprintIsPinned() throws {
        // Member order, duplicate and unknown members, case of the UUID and offset of the
        // date-time all differ from the canonical form; the pinned value was computed by the
        // first release and must never change (stored idempotency records compare against it).
        let bytes = Array(
            #"{"type":"AddInteraction","payload":{"type":"call","description":"Called \"back\"\u00e9","outcome":"ok","x":1,"type":"call"},"contact_id":"0A1B2C3D-0000-4000-8000-00000000000F","business_id":"biz-1","issued_at":"2024-01-10T15:30:00+01:00","command_id":"c-1"}"#
                .utf8)
        let decoded = try #require(CommandDecoder().classify(value: bytes, messageTimestamp: nil).command)
        #expect(decoded.fingerprint == "24bd94d190e738e57a2591c3734df5f12e60a13d384f3c6bc03988e70bb1b8f4")
        // An invalid payload is fingerprinted as sent, canonicalised (nested members sorted).
        let invalid = Array(
            #"{"type":"AddInteraction","payload":{"z":{"b":1,"a":[true,null,"é"]},"description":""},"contact_id":"0a1b2c3d-0000-4000-8000-00000000000f","business_id":"biz-1","command_id":"c-2"}"#
                .utf8)
        let rejected = try #require(CommandDecoder().classify(value: invalid, messageTimestamp: nil).command)
        #expect(rejected.fingerprint == "9f707c8c85ffb9db11063919ea7454f878b3c43c350c03e85d5b1b4d002af325")
    }
}

@Suite("Payload validation (docs/contract.md §3, 422 of §4)")
struct PayloadValidationTests {
    @Test("CreateContact needs at least one non-blank name")
    func nameRequired() throws {
        let expected = [
            ValidationProblem(
                loc: ["body", "first_name"], msg: "At least one of first_name, last_name or company_name is required",
                type: "value_error")
        ]
        #expect(try Fixtures.problems(type: "CreateContact", payload: .object([:])) == expected)
        #expect(
            try Fixtures.problems(
                type: "CreateContact",
                payload: .object(["first_name": .string(" "), "last_name": .null, "company_name": .string("")]))
                == expected)
        for field in ["first_name", "last_name", "company_name"] {
            #expect(try Fixtures.problems(type: "CreateContact", payload: .object([.init(field, .string("X"))])) == [])
        }
    }

    @Test("CreateContact reports every problem at once")
    func createContactAllProblems() throws {
        let problems = try Fixtures.problems(
            type: "CreateContact",
            payload: .object([
                "first_name": .string(Fixtures.string(101)), "email": .string("nobody"), "phone": .integer(5),
                "relationship_status": .string("friend"), "lifecycle_stage": .string("done"),
            ]))
        #expect(
            problems == [
                ValidationProblem(
                    loc: ["body", "first_name"], msg: "String should have at most 100 characters",
                    type: "string_too_long"),
                ValidationProblem(
                    loc: ["body", "email"],
                    msg:
                        "value is not a valid email address: The email address is not valid. It must have exactly one @-sign.",
                    type: "value_error"),
                ValidationProblem(loc: ["body", "phone"], msg: "Input should be a valid string", type: "string_type"),
                ValidationProblem(
                    loc: ["body", "relationship_status"],
                    msg:
                        "Input should be 'prospect', 'qualified_lead', 'opportunity', 'active_client', 'past_client', 'lost_lead' or 'inactive'",
                    type: "enum"),
                ValidationProblem(
                    loc: ["body", "lifecycle_stage"],
                    msg:
                        "Input should be 'awareness', 'interest', 'consideration', 'decision', 'retention' or 'customer'",
                    type: "enum"),
            ])
    }

    @Test("AddInteraction: type and description are required; every problem reported")
    func addInteractionRequired() throws {
        #expect(
            try Fixtures.problems(type: "AddInteraction", payload: .object([:])) == [
                ValidationProblem(loc: ["body", "type"], msg: "Field required", type: "missing"),
                ValidationProblem(loc: ["body", "description"], msg: "Field required", type: "missing"),
            ])
        #expect(
            try Fixtures.problems(
                type: "AddInteraction",
                payload: .object([
                    "type": .string("fax"), "description": .null, "scheduled_follow_up": .string("next week"),
                ])) == [
                    ValidationProblem(
                        loc: ["body", "type"],
                        msg:
                            "Input should be 'call', 'email', 'meeting', 'proposal', 'quote', 'contract', 'service', 'follow_up' or 'note'",
                        type: "enum"),
                    ValidationProblem(
                        loc: ["body", "description"], msg: "Input should be a valid string", type: "string_type"),
                    ValidationProblem(
                        loc: ["body", "scheduled_follow_up"],
                        msg:
                            "Input should be a valid datetime, expected an RFC 3339 date-time such as 2024-01-10T14:30:00Z",
                        type: "datetime_parsing"),
                ])
    }

    @Test("UpdateStatus: relationship_status is required and must be known")
    func updateStatusRequired() throws {
        #expect(
            try Fixtures.problems(type: "UpdateStatus", payload: .object(["reason": .string("r")])) == [
                ValidationProblem(loc: ["body", "relationship_status"], msg: "Field required", type: "missing")
            ])
        #expect(
            try Fixtures.problems(
                type: "UpdateStatus",
                payload: .object(["relationship_status": .string("active_client"), "lifecycle_stage": .null]))
                == [])
    }

    @Test("the payload itself missing is one problem")
    func payloadMissing() throws {
        #expect(
            try Fixtures.decode(Fixtures.envelope(payload: nil)).problems == [
                ValidationProblem(loc: ["body", "payload"], msg: "Field required", type: "missing")
            ])
    }

    @Test("strings are stored as sent, not trimmed")
    func noTrimming() throws {
        let decoded = try Fixtures.decode(
            Fixtures.envelope(
                payload: .object(["first_name": .string("  Ada "), "phone": .string(" +44 1 ")])))
        #expect(
            decoded.envelope?.payload == .createContact(CreateContactPayload(firstName: "  Ada ", phone: " +44 1 ")))
    }

    @Test(
        "email addresses must look like addresses",
        arguments: [
            ("ada@example.com", nil),
            ("a.b+tag@sub.example.co.uk", nil),
            ("üser@exämple.de", nil),
            ("ada", "The email address is not valid. It must have exactly one @-sign."),
            ("a@b@c.com", "The email address is not valid. It must have exactly one @-sign."),
            ("@example.com", "There must be something before the @-sign."),
            ("ada@", "There must be something after the @-sign."),
            ("a da@example.com", "The email address contains invalid characters before the @-sign: ' '."),
            (".ada@example.com", "An email address cannot start with a period."),
            ("ada.@example.com", "An email address cannot have a period immediately before the @-sign."),
            ("a..da@example.com", "An email address cannot have two periods in a row."),
            ("ada@exa mple.com", "The part after the @-sign contains invalid characters: ' '."),
            ("ada@example", "The part after the @-sign is not valid. It should have a period."),
            ("ada@.example.com", "An email address cannot have a period immediately after the @-sign."),
            ("ada@example.com.", "An email address cannot end with a period."),
            ("ada@example..com", "An email address cannot have two periods in a row."),
            ("ada@-example.com", "The part after the @-sign is not valid. A label cannot start or end with a hyphen."),
        ] as [(String, String?)])
    func emailAddresses(address: String, reason: String?) throws {
        #expect(EmailAddressCheck.problem(in: address) == reason)
        let problems = try Fixtures.problems(
            type: "CreateContact", payload: .object(["first_name": .string("A"), "email": .string(address)]))
        #expect(
            problems
                == (reason.map {
                    [
                        ValidationProblem(
                            loc: ["body", "email"], msg: "value is not a valid email address: \($0)",
                            type: "value_error")
                    ]
                } ?? []))
    }
}
