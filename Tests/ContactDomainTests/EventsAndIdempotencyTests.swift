import Foundation
import Testing

@testable import ContactDomain

@Suite("Deterministic ids (RFC 4122 version 5)")
struct DeterministicIDTests {
    @Test("matches the RFC 4122 / Python uuid5 reference vector")
    func referenceVector() {
        let dns = UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!
        #expect(
            DeterministicID.uuid(namespace: dns, name: "python.org").lowercasedString
                == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
    }

    @Test("ids differ by role and by command, and are stable")
    func distinct() {
        let a = Fixtures.uuid(1)
        let b = Fixtures.uuid(2)
        let ids =
            [
                DeterministicID.interaction(commandID: a), DeterministicID.historyEntry(commandID: a),
                DeterministicID.interaction(commandID: b), DeterministicID.historyEntry(commandID: b),
            ] + ContactEventType.allCases.map { DeterministicID.event(commandID: a, type: $0) }
        #expect(Set(ids).count == ids.count)
        #expect(DeterministicID.interaction(commandID: a) == DeterministicID.interaction(commandID: a))
    }

    @Test(
        "an event's id is the version-5 UUID of `event:` and its type in the command's id, as Python's uuid5 spells it")
    func eventIDs() {
        let command = Fixtures.uuid(1)
        for type in ContactEventType.allCases {
            #expect(
                DeterministicID.event(commandID: command, type: type)
                    == DeterministicID.uuid(namespace: command, name: "event:" + type.rawValue))
        }
        // Pinned with Python: uuid.uuid5(UUID("00000000-0000-4000-8000-000000000001"), "event:" + type).
        #expect(
            ContactEventType.allCases.map { DeterministicID.event(commandID: command, type: $0).lowercasedString } == [
                "1200f4f8-59c9-5a71-a31b-991fa44a153e", "5d86a147-7f5e-55f2-82ca-eed4caebac64",
                "5275158c-a6ed-571c-87fb-1dbdc82702f5",
            ])
    }

    @Test("UUID text: strict parsing from a String or from key bytes alike, one lower-case spelling")
    func uuidText() {
        let upper = "886313E1-3B8A-5372-9B90-0C9AEE199E5D"
        let id = UUID(strictString: upper)
        #expect(id?.lowercasedString == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
        #expect(UUID(strictUTF8: Array(upper.utf8)) == id)
        var written = Array("id=".utf8)
        id?.writeLowercased(into: &written)
        #expect(String(decoding: written, as: UTF8.self) == "id=886313e1-3b8a-5372-9b90-0c9aee199e5d")
        // Every digit value in every position (ids of one repeated byte, 0x00 to 0xFF), and random
        // ids, against Foundation's spelling.
        let repeated = (0..<16).map { digit in
            let byte = UInt8(digit * 0x11)
            return UUID(
                uuid: (byte, byte, byte, byte, byte, byte, byte, byte, byte, byte, byte, byte, byte, byte, byte, byte))
        }
        for id in repeated + (0..<64).map({ _ in UUID() }) {
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        for bad in [
            "886313e1-3b8a-5372-9b90-0c9aee199e5", "886313e1-3b8a-5372-9b90-0c9aee199e5d0",
            "886313e1x3b8a-5372-9b90-0c9aee199e5d", "g86313e1-3b8a-5372-9b90-0c9aee199e5d",
            "886313e13b8a-5372-9b90-0c9aee199e5d0", "ä86313e-3b8a-5372-9b90-0c9aee199e5d",
        ] {
            #expect(UUID(strictString: bad) == nil, "\(bad)")
            #expect(UUID(strictUTF8: Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}

extension DeterministicIDTests {
    @Test("UUID text: every byte at every place of the 36 is a digit, a hyphen or a refusal, as Foundation reads it")
    func uuidEveryByteEverywhere() {
        let valid = Array("0123abcd-ef45-6789-ABCD-EF0123456789".utf8)
        for place in valid.indices {
            for byte in UInt8.min...UInt8.max {
                var text = valid
                text[place] = byte
                let ours = UUID(strictUTF8: text)
                let isHex = (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
                let accepted = [8, 13, 18, 23].contains(place) ? byte == UInt8(ascii: "-") : isHex
                #expect((ours != nil) == accepted, "byte \(byte) at \(place)")
                if accepted {
                    #expect(ours == UUID(uuidString: String(decoding: text, as: UTF8.self)), "byte \(byte) at \(place)")
                }
            }
        }
    }
}

@Suite("Events: CloudEvents 1.0 structured mode (docs/contract.md §7)")
struct ContactEventTests {
    @Test("golden bytes of a StatusChanged event")
    func goldenStatusChanged() throws {
        let command = Fixtures.commandEnvelope(
            .updateStatus(UpdateStatusPayload(relationshipStatus: .lostLead)),
            commandID: UUID(uuidString: "0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10")!, businessID: "biz-1",
            issuedAt: Timestamp(rfc3339: "2024-01-10T14:30:00.123Z")!)
        let outcome = ContactCommandProcessor.decide(
            command: command, actor: ContactDomain.Principal(userID: "u-1", businessID: "biz-1", role: .admin),
            current: Fixtures.contact(status: .opportunity, stage: .decision, businessID: "biz-1"))
        let event = try #require(outcome.change?.events.first)
        let id = DeterministicID.event(commandID: command.commandID, type: .statusChanged).lowercasedString
        #expect(
            String(decoding: event.encoded(), as: UTF8.self)
                == #"{"specversion":"1.0","id":""# + id
                + #"","source":"contact-worker","type":"StatusChanged","subject":"00000000-0000-4000-8000-0000000000c0","time":"2024-01-10T14:30:00.123Z","datacontenttype":"application/json","businessid":"biz-1","commandid":"0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10","contactversion":2,"data":{"contact_id":"00000000-0000-4000-8000-0000000000c0","old_status":"opportunity","new_status":"lost_lead","old_lifecycle_stage":"decision","new_lifecycle_stage":"decision","changed_by":"u-1","changed_by_id":"u-1","timestamp":"2024-01-10T14:30:00.123Z","reason":null,"notes":null}}"#
        )
        #expect(event.encoded() == event.cloudEvent().encoded())
        #expect(event.data == outcome.result.body)
        #expect(ContactEvent.contentType == "application/cloudevents+json")
    }

    @Test("the source is configurable; everything else stays the same")
    func source() throws {
        let command = Fixtures.commandEnvelope(.createContact(CreateContactPayload(firstName: "Ada")))
        let event = try #require(
            ContactCommandProcessor.decide(command: command, actor: Fixtures.actor(), current: nil).change?.events.first
        )
        let custom = try JSONValue.parse(event.encoded(source: "urn:crm:eu-1"))
        #expect(custom["source"] == .string("urn:crm:eu-1"))
        #expect(
            custom["id"]
                == .string(DeterministicID.event(commandID: command.commandID, type: .contactCreated).lowercasedString))
        #expect(custom["subject"] == .string(Fixtures.contactID.lowercasedString))
        #expect(custom["time"] == .string("2024-01-10T14:30:00Z"))
    }

    @Test("contactversion is 1 at creation and one more with every accepted command; a refused one keeps it")
    func contactVersions() throws {
        var contact: Contact?
        var versions: [Int] = []
        let payloads: [CommandPayload] = [
            .createContact(CreateContactPayload(firstName: "Ada")),
            .addInteraction(AddInteractionPayload(type: .call, description: "Intro call")),
            .updateStatus(UpdateStatusPayload(relationshipStatus: .qualifiedLead)),
            // qualified_lead cannot jump to active_client: refused, no event, no new version.
            .updateStatus(UpdateStatusPayload(relationshipStatus: .activeClient)),
            .updateStatus(UpdateStatusPayload(relationshipStatus: .opportunity)),
        ]
        for (index, payload) in payloads.enumerated() {
            let outcome = ContactCommandProcessor.decide(
                command: Fixtures.commandEnvelope(payload, commandID: Fixtures.uuid(10 + index)),
                actor: Fixtures.actor(),
                current: contact)
            guard let change = outcome.change else { continue }
            contact = change.contact
            for event in change.events {
                versions.append(event.contactVersion)
                #expect(try JSONValue.parse(event.encoded())["contactversion"] == .integer(event.contactVersion))
            }
        }
        #expect(versions == [1, 2, 3, 4])
        #expect(contact?.version == 4)
    }

    @Test("rejected commands produce no change and no events")
    func rejectedHaveNoEvents() throws {
        let outcome = ContactCommandProcessor.decide(
            command: Fixtures.commandEnvelope(.updateStatus(UpdateStatusPayload(relationshipStatus: .pastClient))),
            actor: Fixtures.actor(), current: Fixtures.contact())
        #expect(outcome.result.status == 400)
        #expect(outcome.change == nil)
    }
}

@Suite("Result messages and idempotency (docs/contract.md §6)")
struct ResultMessageTests {
    @Test("duplicate re-publication changes only duplicate, correlation_id and processed_at")
    func duplicate() throws {
        let result = CommandResult(
            commandID: "c-1", commandType: nil, businessID: nil, contactID: nil, status: 401,
            body: CommandResult.detailBody(ResultDetail.invalidCredentials))
        let at = Timestamp(rfc3339: "2024-01-10T14:30:00Z")!
        #expect(
            String(
                decoding: ResultMessage.encode(result: result, correlationID: nil, duplicate: true, processedAt: at),
                as: UTF8.self)
                == #"{"command_id":"c-1","correlation_id":null,"command_type":null,"business_id":null,"contact_id":null,"status":401,"body":{"detail":"Invalid or missing credentials"},"duplicate":true,"processed_at":"2024-01-10T14:30:00Z"}"#
        )
    }

    @Test("stored body bytes parse back to an equal body and re-encode identically")
    func storedBodyRoundTrip() throws {
        let outcome = ContactCommandProcessor.decide(
            command: Fixtures.commandEnvelope(
                .createContact(CreateContactPayload(firstName: "Zoë 😀", email: "z@x.io"))),
            actor: Fixtures.actor(), current: nil)
        let stored = outcome.result.bodyBytes
        let restored = try JSONValue.parse(stored)
        #expect(restored == outcome.result.body)
        #expect(restored.encoded() == stored)
    }

    @Test("same content, new token, new correlation id, other key order or whitespace: same fingerprint")
    func fingerprintStable() throws {
        let a = try Fixtures.decode(Fixtures.envelope())
        let reordered = #"""
            { "payload" : { "first_name" : "Ada" }, "issued_at":"2024-01-10T16:30:00+02:00",
              "contact_id":"00000000-0000-4000-8000-0000000000C0", "business_id":"9f3e2b1a-0000-4000-8000-00000000b001",
              "type":"CreateContact", "command_id":"00000000-0000-4000-8000-000000000001" }
            """#
        let b = try #require(
            CommandDecoder().classify(
                value: Array(reordered.utf8), messageTimestamp: nil,
                headers: CommandHeaders(authorization: "Bearer other", correlationID: "x")
            ).command)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint.count == 64)
        #expect(
            IdempotencyVerdict.compare(storedFingerprint: a.fingerprint, newFingerprint: b.fingerprint) == .duplicate)
    }

    @Test("issued_at defaulted from the message timestamp is not part of the fingerprint")
    func defaultedIssuedAtIgnored() throws {
        let json = Fixtures.envelope(issuedAt: nil)
        let first = try Fixtures.decode(json, messageTimestamp: Timestamp(millisecondsSinceEpoch: 1))
        let resent = try Fixtures.decode(json, messageTimestamp: Timestamp(millisecondsSinceEpoch: 2))
        #expect(first.fingerprint == resent.fingerprint)
        #expect(first.envelope?.issuedAt != resent.envelope?.issuedAt)
    }

    @Test(
        "different content under the same command_id: different fingerprint, 409",
        arguments: [
            Fixtures.envelope(payload: .object(["first_name": .string("Ada "), "email": .null])),
            Fixtures.envelope(payload: .object(["first_name": .string("Bob")])),
            Fixtures.envelope(type: .string("UpdateStatus")),
            Fixtures.envelope(businessID: .string(Fixtures.otherBusinessID)),
            Fixtures.envelope(contactID: .string(Fixtures.uuid(0xC1).lowercasedString)),
            Fixtures.envelope(issuedAt: .string("2024-01-10T14:30:01Z")),
            Fixtures.envelope(issuedAt: nil),
        ])
    func fingerprintDiffers(other: JSONValue) throws {
        let original = try Fixtures.decode(Fixtures.envelope())
        let changed = try Fixtures.decode(other)
        #expect(original.fingerprint != changed.fingerprint)
        #expect(
            IdempotencyVerdict.compare(storedFingerprint: original.fingerprint, newFingerprint: changed.fingerprint)
                == .conflict)
        #expect(
            CommandResult.idempotencyConflict(for: changed).body.encodedString
                == #"{"detail":"command_id was already used for a different command"}"#)
        #expect(CommandResult.idempotencyConflict(for: changed).status == 409)
    }

    @Test("explicit nulls and unknown members of a valid payload do not change the fingerprint")
    func payloadNormalised() throws {
        let plain = try Fixtures.decode(Fixtures.envelope())
        let noisy = try Fixtures.decode(
            Fixtures.envelope(payload: .object(["first_name": .string("Ada"), "email": .null, "x-debug": .bool(true)])))
        #expect(plain.fingerprint == noisy.fingerprint)
    }
}

@Suite("Re-publishing stored results")
struct StoredResultTests {
    @Test("a result rebuilt from stored fields and body bytes re-publishes the same bytes, either way")
    func storedBytes() throws {
        let outcome = ContactCommandProcessor.decide(
            command: Fixtures.commandEnvelope(.createContact(CreateContactPayload(companyName: "Ünïcode \"Ltd\"\n"))),
            actor: Fixtures.actor(), current: nil)
        let original = outcome.result
        let at = Fixtures.issuedAt
        let fromValue = ResultMessage.encode(result: original, correlationID: "c", duplicate: true, processedAt: at)
        let fromBytes = ResultMessage.encode(
            commandID: original.commandID, correlationID: "c", commandType: original.commandType,
            businessID: original.businessID, contactID: original.contactID, status: original.status,
            bodyBytes: original.bodyBytes, duplicate: true, processedAt: at)
        #expect(fromValue == fromBytes)
        let restored = try CommandResult(
            commandID: original.commandID, commandType: original.commandType, businessID: original.businessID,
            contactID: original.contactID, status: original.status, bodyBytes: original.bodyBytes)
        #expect(restored == original)
        #expect(try JSONValue.parse(fromBytes)["body"] == original.body)
    }
}

@Suite("Result bodies: the published bytes are the encoding of the bodies' values")
struct ResultBodyBytesTests {
    static let awkward = "a \"quoted\"\\ line\nwith\ttabs, \u{1}, é and 🦄"

    @Test("contact, interaction and status change: bytes written directly equal the value encoded")
    func bytesEqualEncodedValues() throws {
        var contact = Fixtures.contact(lastContacted: Timestamp(rfc3339: "2024-02-03T04:05:06.000789Z"))
        contact.companyName = Self.awkward
        #expect(ResultBodies.contactBytes(contact) == ResultBodies.contact(contact).encoded())
        #expect(ResultBodies.contactBytes(Fixtures.contact()) == ResultBodies.contact(Fixtures.contact()).encoded())

        let interaction = Interaction(
            id: Fixtures.uuid(7), contactID: Fixtures.contactID, type: .meeting, description: Self.awkward,
            timestamp: Fixtures.issuedAt, outcome: nil, nextAction: "call back",
            scheduledFollowUp: Timestamp(rfc3339: "2024-03-01T10:00:00.5Z"), performedBy: "Ada", performedByID: "u-1")
        #expect(ResultBodies.interactionBytes(interaction) == ResultBodies.interaction(interaction).encoded())

        let entry = StatusHistoryEntry(
            id: Fixtures.uuid(8), contactID: Fixtures.contactID, fromStatus: nil, toStatus: .qualifiedLead,
            fromLifecycleStage: nil, toLifecycleStage: .interest, timestamp: Fixtures.issuedAt, changedBy: "Ada",
            changedByID: "u-1", reason: Self.awkward, notes: nil)
        #expect(ResultBodies.statusChangeBytes(entry) == ResultBodies.statusChange(entry).encoded())
        #expect(
            String(decoding: ResultBodies.interactionBytes(interaction), as: UTF8.self)
                == #"{"id":"00000000-0000-4000-8000-000000000007","contact_id":"00000000-0000-4000-8000-0000000000c0","type":"meeting","description":"a \"quoted\"\\ line\nwith\ttabs, \u0001, é and 🦄","timestamp":"2024-01-10T14:30:00Z","outcome":null,"next_action":"call back","scheduled_follow_up":"2024-03-01T10:00:00.5Z","performed_by":"Ada","performed_by_id":"u-1"}"#
        )
    }

    @Test("an accepted command's event carries the result body's bytes as its data")
    func eventDataIsTheResultBody() throws {
        let command = Fixtures.commandEnvelope(
            .addInteraction(AddInteractionPayload(type: .call, description: Self.awkward)))
        let outcome = ContactCommandProcessor.decide(
            command: command, actor: Fixtures.actor(), current: Fixtures.contact())
        let event = try #require(outcome.change?.events.first)
        #expect(event.dataBytes == outcome.result.bodyBytes)
        #expect(outcome.result.bodyBytes == outcome.result.body.encoded())
    }
}
