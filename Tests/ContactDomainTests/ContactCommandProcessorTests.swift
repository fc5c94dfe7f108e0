import Foundation
import Testing

@testable import ContactDomain

/// A valid command of each type, with the stored contact it needs to succeed.
struct CommandCase: Sendable, CustomTestStringConvertible {
    var type: CommandType
    var payload: JSONValue
    var current: Contact?

    var testDescription: String { type.rawValue }

    static let all: [CommandCase] = [
        CommandCase(type: .createContact, payload: .object(["first_name": .string("Ada")]), current: nil),
        CommandCase(
            type: .addInteraction, payload: .object(["type": .string("call"), "description": .string("Intro call")]),
            current: Fixtures.contact()),
        CommandCase(
            type: .updateStatus, payload: .object(["relationship_status": .string("qualified_lead")]),
            current: Fixtures.contact()),
    ]

    func decoded(businessID: String = Fixtures.businessID) throws -> DecodedCommand {
        try Fixtures.decode(
            Fixtures.envelope(type: .string(type.rawValue), businessID: .string(businessID), payload: payload))
    }
}

private func detail(_ text: String) -> JSONValue { .object(["detail": .string(text)]) }

@Suite("Authorization and the check order of docs/contract.md §4")
struct AuthorizationTests {
    @Test(
        "every role against every command: allowed iff the role holds edit_contacts",
        arguments: Role.allCases, CommandCase.all)
    func roleAgainstCommand(role: Role, command: CommandCase) throws {
        let outcome = ContactCommandProcessor.process(
            decoded: try command.decoded(), auth: .success(Fixtures.actor(role: role)), current: command.current)
        let allowed = [Role.owner, .admin, .manager, .employee].contains(role)
        #expect(outcome.isAccepted == allowed)
        if allowed {
            #expect(outcome.result.status == (command.type == .updateStatus ? 200 : 201))
        } else {
            #expect(outcome.result.status == 403)
            #expect(outcome.result.body == detail("Insufficient permissions: edit_contacts required"))
            #expect(
                outcome.result.body.encodedString == #"{"detail":"Insufficient permissions: edit_contacts required"}"#)
        }
    }

    @Test(
        "an extra edit_contacts permission claim lets any role run every command", arguments: Role.allCases,
        CommandCase.all)
    func extraPermissionGrants(role: Role, command: CommandCase) throws {
        let actor = Fixtures.actor(role: role, permissions: role.defaultPermissions.union([.editContacts]))
        let outcome = ContactCommandProcessor.process(
            decoded: try command.decoded(), auth: .success(actor), current: command.current)
        #expect(outcome.isAccepted)
    }

    @Test("401 comes first, whatever else is wrong", arguments: [AuthFailure.missingHeader, .expired, .badSignature])
    func unauthenticatedFirst(failure: AuthFailure) throws {
        let decoded = try Fixtures.decode(
            Fixtures.envelope(businessID: .string(Fixtures.otherBusinessID), payload: .null))
        let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .failure(failure), current: nil)
        #expect(outcome.result.status == 401)
        #expect(outcome.result.body.encodedString == #"{"detail":"Invalid or missing credentials"}"#)
        #expect(outcome.change == nil)
    }

    @Test("403 business beats 403 permission, 422, 404 and 400")
    func businessBeforeEverything() throws {
        let invalid = try Fixtures.decode(Fixtures.envelope(payload: .object([:])))
        let viewerElsewhere = Fixtures.actor(role: .viewer, businessID: Fixtures.otherBusinessID)
        for decoded in [invalid, try CommandCase.all[2].decoded()] {
            let outcome = ContactCommandProcessor.process(
                decoded: decoded, auth: .success(viewerElsewhere), current: nil)
            #expect(outcome.result.status == 403)
            #expect(outcome.result.body.encodedString == #"{"detail":"Not a member of this business"}"#)
        }
    }

    @Test("403 permission beats 422")
    func permissionBeforeValidation() throws {
        let invalid = try Fixtures.decode(Fixtures.envelope(payload: .object([:])))
        let outcome = ContactCommandProcessor.process(
            decoded: invalid, auth: .success(Fixtures.actor(role: .viewer)), current: nil)
        #expect(outcome.result.body == detail(ResultDetail.insufficientPermissions))
    }

    @Test("without a usable business_id the business check is skipped and the 422 answers")
    func missingBusinessIDSkipsBusinessCheck() throws {
        let decoded = try Fixtures.decode(Fixtures.envelope(businessID: nil))
        let outcome = ContactCommandProcessor.process(
            decoded: decoded, auth: .success(Fixtures.actor(businessID: Fixtures.otherBusinessID)), current: nil)
        #expect(outcome.result.status == 422)
        #expect(
            outcome.result.body.encodedString
                == #"{"detail":[{"loc":["body","business_id"],"msg":"Field required","type":"missing"}]}"#)
        #expect(outcome.result.businessID == nil)
    }

    @Test(
        "an invalid but present business_id is still not the sender's business: 403 before 422",
        arguments: ["", String(repeating: "b", count: 256), "biz\u{0}1"])
    func invalidBusinessIDIsNotAMember(businessID: String) throws {
        let decoded = try Fixtures.decode(Fixtures.envelope(businessID: .string(businessID)))
        #expect(decoded.problems.map(\.loc).contains(["body", "business_id"]))
        let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .success(Fixtures.actor()), current: nil)
        #expect(outcome.result.status == 403)
        #expect(outcome.result.body.encodedString == #"{"detail":"Not a member of this business"}"#)
    }

    @Test("422 beats 404: an invalid payload for a missing contact is a 422")
    func validationBeforeExistence() throws {
        let decoded = try Fixtures.decode(
            Fixtures.envelope(type: .string("AddInteraction"), payload: .object(["type": .string("call")])))
        let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .success(Fixtures.actor()), current: nil)
        #expect(outcome.result.status == 422)
        #expect(outcome.result.body["detail"]?.arrayValue?.count == 1)
    }

    @Test("404 beats 400: a forbidden transition on a missing contact is a 404")
    func existenceBeforeRules() throws {
        let decoded = try Fixtures.decode(
            Fixtures.envelope(
                type: .string("UpdateStatus"), payload: .object(["relationship_status": .string("past_client")])))
        let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .success(Fixtures.actor()), current: nil)
        #expect(outcome.result.status == 404)
        #expect(outcome.result.body.encodedString == #"{"detail":"Contact not found"}"#)
    }

    @Test(
        "a contact of another business is indistinguishable from a missing one",
        arguments: CommandCase.all.filter { $0.type != .createContact })
    func otherBusinessIsNotFound(command: CommandCase) throws {
        let decoded = try command.decoded()
        let foreign = Fixtures.contact(businessID: Fixtures.otherBusinessID)
        let missing = ContactCommandProcessor.process(decoded: decoded, auth: .success(Fixtures.actor()), current: nil)
        let other = ContactCommandProcessor.process(
            decoded: decoded, auth: .success(Fixtures.actor()), current: foreign)
        #expect(missing.result.status == 404)
        #expect(other == missing)
        let processedAt = Fixtures.issuedAt
        #expect(
            ResultMessage.encode(result: other.result, correlationID: "c", duplicate: false, processedAt: processedAt)
                == ResultMessage.encode(
                    result: missing.result, correlationID: "c", duplicate: false, processedAt: processedAt))
    }

    @Test(
        "ids sent upper-case are echoed lower-cased, accepted or rejected, exactly as decide(command:) echoes them",
        arguments: CommandCase.all)
    func upperCaseIDsEchoLowerCased(command: CommandCase) throws {
        let json = Fixtures.envelope(
            commandID: .string(Fixtures.uuid(0xAB).uuidString), type: .string(command.type.rawValue),
            contactID: .string(Fixtures.contactID.uuidString), payload: command.payload)
        let decoded = try Fixtures.decode(json)
        let envelope = try #require(decoded.envelope)
        // Accepted, and rejected by decide (404 without the contact, 409 for a CreateContact with one).
        for current in [command.current, nil, Fixtures.contact()] {
            let actor = Fixtures.actor()
            let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .success(actor), current: current)
            #expect(outcome.result.commandID == Fixtures.uuid(0xAB).lowercasedString)
            #expect(outcome.result.contactID == Fixtures.contactID.lowercasedString)
            #expect(outcome == ContactCommandProcessor.decide(command: envelope, actor: actor, current: current))
        }
    }

    @Test(
        "a stored contact with another id is treated as absent: CreateContact is accepted, the others are a 404",
        arguments: CommandCase.all)
    func currentWithAnotherID(command: CommandCase) throws {
        var stranger = Fixtures.contact()
        stranger.id = Fixtures.uuid(0xC1)
        let outcome = ContactCommandProcessor.process(
            decoded: try command.decoded(), auth: .success(Fixtures.actor()), current: stranger)
        let absent = ContactCommandProcessor.process(
            decoded: try command.decoded(), auth: .success(Fixtures.actor()), current: nil)
        #expect(outcome.result.status == (command.type == .createContact ? 201 : 404))
        #expect(outcome == absent)
    }

    @Test("CreateContact with an existing contact_id is a 409")
    func createExisting() throws {
        let outcome = ContactCommandProcessor.process(
            decoded: try CommandCase.all[0].decoded(), auth: .success(Fixtures.actor()), current: Fixtures.contact())
        #expect(outcome.result.status == 409)
        #expect(outcome.result.body.encodedString == #"{"detail":"Contact already exists"}"#)
        #expect(outcome.change == nil)
    }
}

@Suite("Accepted commands: state, history, exact bodies (docs/contract.md §5, §6)")
struct AcceptedCommandTests {
    static let commandID = UUID(uuidString: "0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10")!

    @Test("CreateContact: defaults, display name, initial history entry, exact 201 body")
    func createContact() throws {
        let command = Fixtures.commandEnvelope(
            .createContact(
                CreateContactPayload(
                    firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", phone: "+44 20 7946")),
            commandID: Self.commandID)
        let outcome = ContactCommandProcessor.decide(command: command, actor: Fixtures.actor(), current: nil)
        let change = try #require(outcome.change)
        #expect(outcome.result.status == 201)
        #expect(change.isNewContact)
        #expect(
            outcome.result.body
                == .object([
                    "id": .string("00000000-0000-4000-8000-0000000000c0"),
                    "business_id": .string(Fixtures.businessID),
                    "first_name": .string("Ada"),
                    "last_name": .string("Lovelace"),
                    "company_name": .null,
                    "display_name": .string("Ada Lovelace"),
                    "email": .string("ada@example.com"),
                    "phone": .string("+44 20 7946"),
                    "relationship_status": .string("prospect"),
                    "lifecycle_stage": .string("awareness"),
                    "last_contacted": .null,
                    "created_at": .string("2024-01-10T14:30:00Z"),
                    "updated_at": .string("2024-01-10T14:30:00Z"),
                ]))
        #expect(
            change.historyEntry
                == StatusHistoryEntry(
                    id: DeterministicID.historyEntry(commandID: Self.commandID), contactID: Fixtures.contactID,
                    fromStatus: nil, toStatus: .prospect, fromLifecycleStage: nil, toLifecycleStage: .awareness,
                    timestamp: Fixtures.issuedAt, changedBy: "Jane Doe", changedByID: "user-1",
                    reason: "Initial status",
                    notes: nil))
        #expect(change.interaction == nil)
        #expect(change.events.map(\.type) == [.contactCreated])
        #expect(change.events.first?.data == outcome.result.body)
    }

    @Test(
        "display_name: company if not blank, else first and last trimmed",
        arguments: [
            (nil, nil, "Acme Ltd", "Acme Ltd"),
            ("Ada", "Lovelace", " Acme ", "Acme"),
            ("Ada", "Lovelace", "   ", "Ada Lovelace"),
            ("Ada", nil, nil, "Ada"),
            (nil, "Lovelace", nil, "Lovelace"),
            (" Ada ", " Lovelace ", nil, "Ada   Lovelace"),
        ] as [(String?, String?, String?, String)])
    func displayName(first: String?, last: String?, company: String?, expected: String) {
        #expect(DisplayName.derive(firstName: first, lastName: last, companyName: company) == expected)
    }

    @Test("CreateContact with a status aligns the stage; an explicit stage wins")
    func createWithStatus() throws {
        for (status, stage, expected) in [
            (RelationshipStatus.activeClient, LifecycleStage?.none, LifecycleStage.customer),
            (.pastClient, nil, .awareness),
            (.opportunity, .decision, .decision),
        ] {
            let command = Fixtures.commandEnvelope(
                .createContact(
                    CreateContactPayload(companyName: "Acme", relationshipStatus: status, lifecycleStage: stage)))
            let change = try #require(
                ContactCommandProcessor.decide(command: command, actor: Fixtures.actor(), current: nil).change)
            #expect(change.contact.relationshipStatus == status)
            #expect(change.contact.lifecycleStage == expected)
            #expect(change.historyEntry?.toLifecycleStage == expected)
        }
    }

    @Test("a command issued before the contact's last change does not move updated_at (or last_contacted) back")
    func updatedAtNeverGoesBack() throws {
        var contact = Fixtures.contact(lastContacted: Timestamp(rfc3339: "2024-02-01T09:00:00Z"))
        contact.updatedAt = try #require(Timestamp(rfc3339: "2024-02-01T09:00:00Z"))
        let early = Fixtures.commandEnvelope(
            .addInteraction(AddInteractionPayload(type: .call, description: "late delivery")), commandID: Self.commandID
        )
        let interaction = try #require(
            ContactCommandProcessor.decide(command: early, actor: Fixtures.actor(), current: contact).change)
        #expect(interaction.contact.updatedAt == contact.updatedAt)
        #expect(interaction.contact.lastContacted == contact.lastContacted)
        let status = Fixtures.commandEnvelope(
            .updateStatus(UpdateStatusPayload(relationshipStatus: .qualifiedLead)), commandID: Self.commandID)
        let changed = try #require(
            ContactCommandProcessor.decide(command: status, actor: Fixtures.actor(), current: contact).change)
        #expect(changed.contact.updatedAt == contact.updatedAt)
        #expect(changed.historyEntry?.timestamp == Fixtures.issuedAt)
    }

    @Test("AddInteraction: exact 201 body, last_contacted is the later instant, updated_at the command's")
    func addInteraction() throws {
        let command = Fixtures.commandEnvelope(
            .addInteraction(
                AddInteractionPayload(
                    type: .followUp, description: "Discussed the quote", outcome: "Positive", nextAction: nil,
                    scheduledFollowUp: Timestamp(rfc3339: "2024-01-17T09:00:00Z"))),
            commandID: Self.commandID)
        let actor = Fixtures.actor(name: nil)
        let outcome = ContactCommandProcessor.decide(command: command, actor: actor, current: Fixtures.contact())
        let change = try #require(outcome.change)
        #expect(outcome.result.status == 201)
        #expect(
            outcome.result.body
                == .object([
                    "id": .string(DeterministicID.interaction(commandID: Self.commandID).lowercasedString),
                    "contact_id": .string("00000000-0000-4000-8000-0000000000c0"),
                    "type": .string("follow_up"),
                    "description": .string("Discussed the quote"),
                    "timestamp": .string("2024-01-10T14:30:00Z"),
                    "outcome": .string("Positive"),
                    "next_action": .null,
                    "scheduled_follow_up": .string("2024-01-17T09:00:00Z"),
                    "performed_by": .string("user-1"),
                    "performed_by_id": .string("user-1"),
                ]))
        #expect(change.contact.lastContacted == Fixtures.issuedAt)
        #expect(change.contact.updatedAt == Fixtures.issuedAt)
        #expect(change.historyEntry == nil)
        #expect(change.events.map(\.type) == [.interactionRecorded])

        let later = Timestamp(rfc3339: "2024-02-01T00:00:00Z")!
        let afterLater = ContactCommandProcessor.decide(
            command: command, actor: actor, current: Fixtures.contact(lastContacted: later))
        #expect(afterLater.change?.contact.lastContacted == later)
    }

    @Test("UpdateStatus: exact 200 body and history entry")
    func updateStatus() throws {
        let command = Fixtures.commandEnvelope(
            .updateStatus(
                UpdateStatusPayload(relationshipStatus: .qualifiedLead, reason: "Budget confirmed", notes: "Q3")),
            commandID: Self.commandID)
        let outcome = ContactCommandProcessor.decide(
            command: command, actor: Fixtures.actor(), current: Fixtures.contact())
        let change = try #require(outcome.change)
        #expect(outcome.result.status == 200)
        #expect(
            outcome.result.body
                == .object([
                    "contact_id": .string("00000000-0000-4000-8000-0000000000c0"),
                    "old_status": .string("prospect"),
                    "new_status": .string("qualified_lead"),
                    "old_lifecycle_stage": .string("awareness"),
                    "new_lifecycle_stage": .string("interest"),
                    "changed_by": .string("Jane Doe"),
                    "changed_by_id": .string("user-1"),
                    "timestamp": .string("2024-01-10T14:30:00Z"),
                    "reason": .string("Budget confirmed"),
                    "notes": .string("Q3"),
                ]))
        #expect(change.historyEntry?.id == DeterministicID.historyEntry(commandID: Self.commandID))
        #expect(change.historyEntry?.reason == "Budget confirmed")
        #expect(change.contact.updatedAt == Fixtures.issuedAt)
        #expect(change.contact.createdAt == Fixtures.contact().createdAt)
        #expect(change.events.map(\.type) == [.statusChanged])
    }

    @Test("golden bytes: a CreateContact result message")
    func goldenResultMessage() throws {
        let decoded = try #require(
            CommandDecoder().classify(
                value: Array(
                    #"{"command_id":"0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10","type":"CreateContact","business_id":"biz-1","contact_id":"550e8400-e29b-41d4-a716-446655440001","issued_at":"2024-01-10T14:30:00Z","payload":{"company_name":"Acme \"Tools\"","email":"ops@acme.example"}}"#
                        .utf8),
                messageTimestamp: nil, headers: CommandHeaders(authorization: nil, correlationID: "req-42")
            ).command)
        let actor = ContactDomain.Principal(userID: "u-1", name: "Jane", businessID: "biz-1", role: .owner)
        let outcome = ContactCommandProcessor.process(decoded: decoded, auth: .success(actor), current: nil)
        let bytes = ResultMessage.encode(
            result: outcome.result, correlationID: decoded.headers.correlationID, duplicate: false,
            processedAt: Timestamp(rfc3339: "2024-01-10T14:30:01.25Z")!)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"command_id":"0b6f3c1e-7d5a-4a53-9d8e-2f1c7e9a4b10","correlation_id":"req-42","command_type":"CreateContact","business_id":"biz-1","contact_id":"550e8400-e29b-41d4-a716-446655440001","status":201,"body":{"id":"550e8400-e29b-41d4-a716-446655440001","business_id":"biz-1","first_name":null,"last_name":null,"company_name":"Acme \"Tools\"","display_name":"Acme \"Tools\"","email":"ops@acme.example","phone":null,"relationship_status":"prospect","lifecycle_stage":"awareness","last_contacted":null,"created_at":"2024-01-10T14:30:00Z","updated_at":"2024-01-10T14:30:00Z"},"duplicate":false,"processed_at":"2024-01-10T14:30:01.25Z"}"#
        )
    }
}
