import Crypto
import Foundation
import PropertyBased
import Testing

@testable import ContactDomain

/// One randomly chosen command in a sequence.
struct Step: Sendable, CustomStringConvertible {
    var contact: Int
    var kind: Int
    var status: RelationshipStatus
    var stage: LifecycleStage?
    var minutes: Int

    var description: String { "#\(contact) kind \(kind) \(status.rawValue)/\(stage?.rawValue ?? "-") +\(minutes)m" }

    static let generator = zip(
        Gen.int(in: 0...2), Gen.int(in: 0...4), Gen<RelationshipStatus>.case, Gen<LifecycleStage>.case.optional,
        Gen.int(in: 0...600)
    ).map { values in
        Step(contact: values.0, kind: values.1, status: values.2, stage: values.3, minutes: values.4)
    }
}

/// Runs a command sequence through the whole domain path (bytes → decoder → processor) against an
/// in-memory "store", recording everything that would be published.
struct Simulation {
    var contacts: [UUID: Contact] = [:]
    var history: [UUID: [StatusHistoryEntry]] = [:]
    var interactions: [UUID: [Interaction]] = [:]
    var acceptedStatusChanges: [UUID: Int] = [:]
    var published: [[UInt8]] = []

    static let base = Timestamp(rfc3339: "2024-01-10T08:00:00Z")!

    static func contactID(_ index: Int) -> UUID { Fixtures.uuid(0xC0 + index) }

    mutating func run(_ steps: [Step]) {
        let actor = Fixtures.actor(role: .manager)
        for (index, step) in steps.enumerated() {
            let contactID = Self.contactID(step.contact)
            let payload: JSONValue
            let type: String
            switch step.kind {
            case 0:
                type = "CreateContact"
                payload = .object([
                    "first_name": .string("Person \(step.contact)"),
                    "relationship_status": .string(step.status.rawValue),
                ])
            case 1:
                type = "AddInteraction"
                payload = .object(["type": .string("call"), "description": .string("Call \(index)")])
            case 2:
                type = "AddInteraction"
                payload = .object(["type": .string("call"), "description": .string("")])  // always 422
            default:
                type = "UpdateStatus"
                var members: [JSONValue.Member] = [.init("relationship_status", .string(step.status.rawValue))]
                if let stage = step.stage { members.append(.init("lifecycle_stage", .string(stage.rawValue))) }
                payload = .object(members)
            }
            let issuedAt = Timestamp(
                microsecondsSinceEpoch: Self.base.microsecondsSinceEpoch + Int64(step.minutes) * 60_000_000)
            let envelope = Fixtures.envelope(
                commandID: .string(Fixtures.uuid(0x1000 + index).lowercasedString), type: .string(type),
                contactID: .string(contactID.lowercasedString), issuedAt: .string(issuedAt.rfc3339), payload: payload)
            guard let decoded = CommandDecoder().classify(value: envelope.encoded(), messageTimestamp: nil).command
            else {
                Issue.record("a generated command was dead-lettered")
                return
            }
            let outcome = ContactCommandProcessor.process(
                decoded: decoded, auth: .success(actor), current: contacts[contactID])
            published.append(
                ResultMessage.encode(
                    result: outcome.result, correlationID: "corr-\(index)", duplicate: false, processedAt: issuedAt))
            guard let change = outcome.change else { continue }
            contacts[contactID] = change.contact
            if let entry = change.historyEntry {
                history[contactID, default: []].append(entry)
                if decoded.envelope?.type == .updateStatus { acceptedStatusChanges[contactID, default: 0] += 1 }
            }
            if let interaction = change.interaction { interactions[contactID, default: []].append(interaction) }
            published.append(contentsOf: change.events.map { $0.encoded() })
        }
    }
}

@Suite("Properties over random command sequences")
struct PropertyTests {
    @Test("history length == accepted status changes + 1, per contact; state agrees with the last entry")
    func historyLength() async {
        await propertyCheck(count: 200, input: Step.generator.array(of: 0...40)) { steps in
            var simulation = Simulation()
            simulation.run(steps)
            for (contactID, contact) in simulation.contacts {
                let entries = simulation.history[contactID] ?? []
                #expect(entries.count == (simulation.acceptedStatusChanges[contactID] ?? 0) + 1)
                #expect(entries.first?.fromStatus == nil)
                #expect(entries.last?.toStatus == contact.relationshipStatus)
                #expect(entries.last?.toLifecycleStage == contact.lifecycleStage)
                #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.toStatus == $1.fromStatus })
                #expect(contact.lastContacted == simulation.interactions[contactID]?.map(\.timestamp).max())
            }
            #expect(simulation.history.keys.allSatisfy { simulation.contacts[$0] != nil })
        }
    }

    @Test("replaying the same sequence gives byte-identical results and events")
    func replayIsByteIdentical() async {
        await propertyCheck(count: 100, input: Step.generator.array(of: 0...30)) { steps in
            var first = Simulation()
            first.run(steps)
            var replay = Simulation()
            replay.run(steps)
            #expect(first.published == replay.published)
            #expect(first.contacts == replay.contacts)
            #expect(first.history == replay.history)
            #expect(first.interactions == replay.interactions)
        }
    }

    @Test("random bytes never crash the decoder and always classify")
    func randomBytes() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...300)) { bytes in
            classifyAndCheck(bytes)
        }
    }

    @Test("mutated valid commands never crash the decoder and always classify")
    func mutatedCommands() async {
        let valid = Fixtures.envelope(
            type: .string("AddInteraction"),
            payload: .object([
                "type": .string("meeting"), "description": .string("Kick-off é 😀"),
                "scheduled_follow_up": .string("2024-01-12T09:00:00Z"),
            ])
        ).encoded()
        let mutation = zip(Gen.int(in: 0...2), Gen.int(in: 0...(valid.count - 1)), Gen.uint8())
        await propertyCheck(count: 500, input: mutation.array(of: 1...8)) { mutations in
            var bytes = valid
            for (operation, position, byte) in mutations {
                let index = min(position, max(0, bytes.count - 1))
                switch operation {
                case 0 where !bytes.isEmpty: bytes[index] = byte
                case 1: bytes.insert(byte, at: min(index, bytes.count))
                default: if !bytes.isEmpty { bytes.remove(at: index) }
                }
            }
            classifyAndCheck(bytes)
        }
    }

    @Test("random JSON objects with a string command_id are always commands with a result")
    func randomObjects() async {
        let names = ["type", "business_id", "contact_id", "issued_at", "payload", "first_name", "description", "x"]
        let leaf = Gen.oneOf(
            Gen.always(JSONValue.null).eraseToAnySequence(),
            Gen.letterOrNumber.string(of: 0...12).map { JSONValue.string($0) }.eraseToAnySequence(),
            Gen.int(in: -5...5).map { JSONValue.integer($0) }.eraseToAnySequence(),
            Gen.element(of: CommandType.allCases.map(\.rawValue) + ["2024-01-10T14:30:00Z", Fixtures.businessID])
                .map { JSONValue.string($0 ?? "") }.eraseToAnySequence())
        let member = zip(Gen.element(of: names), leaf).map { JSONValue.Member($0.0 ?? "x", $0.1) }
        await propertyCheck(count: 300, input: member.array(of: 0...8), member.array(of: 0...4)) { top, inner in
            var members = [JSONValue.Member("command_id", .string("00000000-0000-4000-8000-000000000001"))] + top
            members.append(.init("payload", .object(inner)))
            let decoded = CommandDecoder().classify(value: JSONValue.object(members).encoded(), messageTimestamp: nil)
                .command
            guard let decoded else {
                Issue.record("an object with a string command_id must be a command")
                return
            }
            let outcome = ContactCommandProcessor.process(
                decoded: decoded, auth: .success(Fixtures.actor()), current: nil)
            #expect([201, 403, 404, 422].contains(outcome.result.status))
            #expect(decoded.envelope == nil || decoded.problems.isEmpty)
        }
    }
}

extension PropertyTests {
    @Test("the canonical form written directly is the canonicalized value's bytes, duplicates and nesting included")
    func canonicalWriting() async {
        let names = ["b", "a", "é", "B", "ab", "", "a"]
        let leaf = Gen.oneOf(
            Gen.always(JSONValue.null).eraseToAnySequence(),
            Gen.letterOrNumber.string(of: 0...6).map { JSONValue.string($0) }.eraseToAnySequence(),
            Gen.int(in: -5...5).map { JSONValue.integer($0) }.eraseToAnySequence())
        let member = zip(Gen.element(of: names), leaf).map { JSONValue.Member($0.0 ?? "x", $0.1) }
        await propertyCheck(count: 300, input: member.array(of: 0...8), member.array(of: 0...5)) { top, inner in
            let value = JSONValue.object(top + [.init("a", .array([.object(inner), .object(inner.reversed())]))])
            var written: [UInt8] = []
            value.writeCanonical(into: &written)
            #expect(written == value.canonicalized.encoded())
        }
    }
}

extension PropertyTests {
    @Test("a validated payload's canonical members written from its fields are its json's canonical bytes")
    func payloadCanonicalWriting() async {
        let samples = ["", " ", "Ann", "Zoë Ünïcödé ✓ 😀", "quote \" back \\ slash / nl \n tab \t ctl \u{01}"]
        let text = Gen.element(of: samples).map { $0 ?? "" }
        let optionalText = text.optional
        let timestamp = Gen.int(in: 0...2_000_000_000).map { Timestamp(microsecondsSinceEpoch: Int64($0) * 1_000_003) }
        let createContact = zip(
            zip(optionalText, optionalText, optionalText, optionalText, optionalText),
            zip(Gen<RelationshipStatus>.case.optional, Gen<LifecycleStage>.case.optional)
        ).map { texts, enums in
            CommandPayload.createContact(
                CreateContactPayload(
                    firstName: texts.0, lastName: texts.1, companyName: texts.2, email: texts.3, phone: texts.4,
                    relationshipStatus: enums.0, lifecycleStage: enums.1))
        }
        let addInteraction = zip(Gen<InteractionType>.case, text, optionalText, optionalText, timestamp.optional).map {
            type, description, outcome, nextAction, followUp in
            CommandPayload.addInteraction(
                AddInteractionPayload(
                    type: type, description: description, outcome: outcome, nextAction: nextAction,
                    scheduledFollowUp: followUp))
        }
        let updateStatus = zip(
            Gen<RelationshipStatus>.case, Gen<LifecycleStage>.case.optional, optionalText, optionalText)
        let payload = Gen.oneOf(
            createContact.eraseToAnySequence(), addInteraction.eraseToAnySequence(),
            updateStatus.map { status, stage, reason, notes in
                CommandPayload.updateStatus(
                    UpdateStatusPayload(relationshipStatus: status, lifecycleStage: stage, reason: reason, notes: notes)
                )
            }.eraseToAnySequence())
        await propertyCheck(count: 500, input: payload) { payload in
            var expected = Array("{\"payload\":".utf8)
            payload.json.writeCanonical(into: &expected)
            expected.append(UInt8(ascii: "}"))
            let document = JSONObjectWriter.bytes { document in
                document.object("payload") { payload.writeCanonicalMembers(into: &$0) }
            }
            #expect(document == expected)
        }
    }
}

extension PropertyTests {
    @Test(
        "fingerprints are the hash of the canonical document built as a tree, for payloads with duplicates, nulls, unknown members, wrong types, escapes, non-ASCII and too-deep nesting"
    )
    func fingerprintMatchesTreeForm() async {
        let names = [
            "first_name", "last_name", "company_name", "email", "phone", "relationship_status", "lifecycle_stage",
            "type", "description", "outcome", "next_action", "scheduled_follow_up", "reason", "notes", "x",
        ]
        var deep = JSONValue.array([])
        for _ in 0..<70 { deep = .array([deep]) }
        let values: [JSONValue] = [
            .null, .string(""), .string("Ann"), .string("Zoë Ünïcödé ✓ 😀"),
            .string("quote \" back \\ nl \n ctl \u{01}"), .integer(1), .bool(true),
            .object(["b": .integer(1), "a": .array([.null])]), .string("call"), .string("customer"), .string("lead"),
            .string("a@b.co"), .string("2024-01-12T09:00:00+02:00"), deep,
        ]
        let member = zip(Gen.element(of: names), Gen.element(of: values)).map {
            JSONValue.Member($0.0 ?? "x", $0.1 ?? .null)
        }
        let contactIDs = ["0a1b2c3d-0000-4000-8000-00000000000f", "0A1B2C3D-0000-4000-8000-00000000000F"]
        let issuedAts: [JSONValue?] = [
            nil, .null, .string("2024-01-10T15:30:00+01:00"), .string("2024-01-10T14:30:00Z"),
        ]
        let envelope = zip(
            Gen.element(of: CommandType.allCases), Gen.element(of: contactIDs), Gen.element(of: issuedAts),
            member.array(of: 0...8), Gen.int(in: 0...9))
        await propertyCheck(count: 500, input: envelope) { type, contactID, issuedAt, members, shape in
            // Mostly an object payload that starts out valid for the type and gets the random
            // members on top (overriding, nulling, adding); now and then one of another JSON type.
            let valid: [JSONValue.Member]
            switch type {
            case .createContact: valid = [.init("first_name", .string("Ann"))]
            case .addInteraction: valid = [.init("type", .string("call")), .init("description", .string("Called"))]
            case .updateStatus, nil: valid = [.init("relationship_status", .string("customer"))]
            }
            let payload: JSONValue =
                switch shape {
                case 0: .array([.object(members)])
                case 1: .object(members)
                default: .object(valid + members)
                }
            let bytes = Fixtures.envelope(
                type: .string(type?.rawValue ?? ""), contactID: .string(contactID ?? ""), issuedAt: issuedAt ?? nil,
                payload: payload
            ).encoded()
            let decoded = CommandDecoder().classify(value: bytes, messageTimestamp: Fixtures.messageTimestamp).command
            #expect(decoded?.fingerprint == treeFingerprint(bytes))
        }
    }
}

/// A command's fingerprint as docs/contract.md §6 defines it, computed the plain way: the canonical
/// document built as a ``JSONValue``, canonicalized, encoded and hashed. The payload is taken as
/// validated when it is valid on its own (decoded under a valid envelope), as sent otherwise.
private func treeFingerprint(_ bytes: [UInt8]) -> String? {
    guard let root = try? JSONValue.parseReplacingTooDeep(bytes).value else { return nil }
    let payloadAlone = Fixtures.envelope(type: root["type"], payload: root["payload"]).encoded()
    let validPayload = CommandDecoder().classify(value: payloadAlone, messageTimestamp: nil).command?.envelope?.payload
    let contactID = root["contact_id"]?.stringValue.flatMap { UUID(strictString: $0) }
    let issuedAt = root["issued_at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
    let document = JSONValue.object([
        "type": root["type"] ?? .null,
        "payload": validPayload?.json ?? root["payload"] ?? .null,
        "issued_at": issuedAt.map { .string($0.rfc3339) } ?? root["issued_at"] ?? .null,
        "contact_id": contactID.map { .string($0.lowercasedString) } ?? root["contact_id"] ?? .null,
        "business_id": root["business_id"] ?? .null,
    ])
    let digest = SHA256.hash(data: Array("contact-command/v1\n".utf8) + document.canonicalized.encoded())
    return digest.map { String(format: "%02x", $0) }.joined()
}

/// Classifies `bytes` and checks the answer is coherent: a command only for a JSON object with a
/// string `command_id`, and then one with a result.
private func classifyAndCheck(_ bytes: [UInt8]) {
    switch CommandDecoder().classify(value: bytes, messageTimestamp: Fixtures.messageTimestamp) {
    case .deadLetter(let reason):
        #expect(!reason.isEmpty)
    case .command(let decoded):
        let root = try? JSONValue.parse(bytes)
        #expect(root?["command_id"]?.stringValue != nil)
        let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .success(Fixtures.actor()), current: nil)
        #expect((200..<500).contains(outcome.result.status))
        _ = ResultMessage.encode(
            result: outcome.result, correlationID: nil, duplicate: false, processedAt: Fixtures.issuedAt)
    }
}
