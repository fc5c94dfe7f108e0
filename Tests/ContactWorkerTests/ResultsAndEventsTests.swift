import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

@Suite("Results and events of real commands (docs/contract.md §4–§8)")
struct ResultsAndEventsTests {
    @Test("every status of docs/contract.md §4–§6 on the results topic", arguments: Backend.available)
    func everyStatusOnTheResultsTopic(backend: Backend) async throws {
        try await withHarness(backend) { harness in

            let owner = try await harness.token()
            let expired = try await harness.token(expiresIn: -3600)
            let viewer = try await harness.token(sub: "u-2", name: "Vic Viewer", role: "viewer")
            let otherOwner = try await harness.token(sub: "u-9", name: "Olga Other", business: "biz-2")

            let c1 = "550e8400-e29b-41d4-a716-446655440001"
            let c2 = "550e8400-e29b-41d4-a716-446655440002"
            let missing = "550e8400-e29b-41d4-a716-446655440009"
            let createPayload =
                #"{"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "phone": "+1 555 0100"}"#
            let interactionPayload = #"{"type": "call", "description": "Intro call", "outcome": "interested"}"#
            let qualifyPayload = #"{"relationship_status": "qualified_lead", "reason": "Budget confirmed"}"#

            let create = TestCommand(
                type: "CreateContact", contactID: c1, payload: createPayload, token: owner, correlationID: "corr-create"
            )
            let interact = TestCommand(
                type: "AddInteraction", contactID: c1, issuedAt: "2024-01-10T14:31:00Z", payload: interactionPayload,
                token: owner)
            let qualify = TestCommand(
                type: "UpdateStatus", contactID: c1, issuedAt: "2024-01-10T14:32:00Z", payload: qualifyPayload,
                token: owner
            )
            let noToken = TestCommand(type: "UpdateStatus", contactID: c1, payload: qualifyPayload, token: nil)
            let expiredToken = TestCommand(type: "UpdateStatus", contactID: c1, payload: qualifyPayload, token: expired)
            let otherBusiness = TestCommand(
                type: "UpdateStatus", contactID: c1, payload: qualifyPayload, token: otherOwner)
            let viewerCommand = TestCommand(type: "UpdateStatus", contactID: c1, payload: qualifyPayload, token: viewer)
            let invalid = TestCommand(
                type: "AddInteraction", contactID: c1, payload: #"{"type": "fax", "description": ""}"#, token: owner)
            let absent = TestCommand(
                type: "AddInteraction", contactID: missing, payload: interactionPayload, token: owner)
            let createOther = TestCommand(
                type: "CreateContact", business: "biz-2", contactID: c2, payload: #"{"company_name": "Other Co"}"#,
                token: otherOwner)
            let foreign = TestCommand(type: "AddInteraction", contactID: c2, payload: interactionPayload, token: owner)
            let skip = TestCommand(
                type: "UpdateStatus", contactID: c1, payload: #"{"relationship_status": "active_client"}"#, token: owner
            )
            let recreate = TestCommand(type: "CreateContact", contactID: c1, payload: createPayload, token: owner)
            var resent = interact
            resent.correlationID = "corr-resent"
            let reused = TestCommand(
                commandID: qualify.commandID, type: "UpdateStatus", contactID: c1, issuedAt: "2024-01-10T14:32:00Z",
                payload: #"{"relationship_status": "lost_lead"}"#, token: owner)

            let commands = [
                create, interact, qualify, noToken, expiredToken, otherBusiness, viewerCommand, invalid, absent,
                createOther,
                foreign, skip, recreate, resent, reused,
            ]
            var messages = commands.map(harness.message)
            // Not JSON: goes to the dead-letter topic with everything it came with.
            let poison = KafkaOutgoingMessage(
                topic: harness.topics.commands, partition: harness.partition(for: c1), key: Array(c1.utf8),
                value: Array("not json {".utf8), headers: [KafkaHeader(name: "x-trace", string: "trace-1")])
            messages.insert(poison, at: 3)

            let worker = try harness.startWorker()
            try await harness.send(messages)
            let resultMessages = try await harness.read(harness.topics.results, count: commands.count)
            let deadLetters = try await harness.read(harness.topics.deadLetters, count: 1)
            let eventMessages = try await harness.read(harness.topics.events, count: 4)
            try await worker.stop()

            // Exactly one result per command, nothing more.
            #expect(try await harness.messageCount(harness.topics.results) == Int64(commands.count))
            #expect(try await harness.messageCount(harness.topics.events) == 4)
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 1)

            let allResults = try resultMessages.map(PublishedResult.init)
            // Results of one contact arrive in command order; match them to commands by position per contact.
            func results(for contactID: String) -> [PublishedResult] {
                allResults.filter { $0.json["contact_id"]?.stringValue == contactID }
            }
            func expectResult(
                _ result: PublishedResult?, _ command: TestCommand, type: String, status: Int, body: String,
                duplicate: Bool = false,
                sourceLocation: SourceLocation = #_sourceLocation
            ) throws {
                guard let result else {
                    Issue.record("no result for \(command.commandID)", sourceLocation: sourceLocation)
                    return
                }
                #expect(result.commandID == command.commandID, sourceLocation: sourceLocation)
                #expect(result.json["command_type"]?.stringValue == type, sourceLocation: sourceLocation)
                #expect(result.status == status, sourceLocation: sourceLocation)
                #expect(result.body?.canonicalized == (try json(body)), sourceLocation: sourceLocation)
                #expect(result.duplicate == duplicate, sourceLocation: sourceLocation)
                #expect(
                    result.message.key.map { String(decoding: $0, as: UTF8.self) } == command.contactID,
                    sourceLocation: sourceLocation)
                #expect(result.json["processed_at"]?.stringValue != nil, sourceLocation: sourceLocation)
                if let correlation = command.correlationID {
                    #expect(result.json["correlation_id"]?.stringValue == correlation, sourceLocation: sourceLocation)
                    #expect(result.message.header("correlation-id") == correlation, sourceLocation: sourceLocation)
                } else {
                    #expect(result.json["correlation_id"]?.isNull == true, sourceLocation: sourceLocation)
                }
            }

            let interactionID = DeterministicID.interaction(
                commandID: try #require(UUID(uuidString: interact.commandID))
            )
            .lowercasedString
            let contactBody = #"""
                {"id": "\#(c1)", "business_id": "biz-1", "first_name": "Grace", "last_name": "Hopper", "company_name": null,
                 "display_name": "Grace Hopper", "email": "grace@example.com", "phone": "+1 555 0100",
                 "relationship_status": "prospect", "lifecycle_stage": "awareness", "last_contacted": null,
                 "created_at": "2024-01-10T14:30:00Z", "updated_at": "2024-01-10T14:30:00Z"}
                """#
            let interactionBody = #"""
                {"id": "\#(interactionID)", "contact_id": "\#(c1)", "type": "call", "description": "Intro call",
                 "timestamp": "2024-01-10T14:31:00Z", "outcome": "interested", "next_action": null, "scheduled_follow_up": null,
                 "performed_by": "Ada Owner", "performed_by_id": "u-1"}
                """#
            let statusBody = #"""
                {"contact_id": "\#(c1)", "old_status": "prospect", "new_status": "qualified_lead",
                 "old_lifecycle_stage": "awareness", "new_lifecycle_stage": "interest", "changed_by": "Ada Owner",
                 "changed_by_id": "u-1", "timestamp": "2024-01-10T14:32:00Z", "reason": "Budget confirmed", "notes": null}
                """#
            let otherContactBody = #"""
                {"id": "\#(c2)", "business_id": "biz-2", "first_name": null, "last_name": null, "company_name": "Other Co",
                 "display_name": "Other Co", "email": null, "phone": null,
                 "relationship_status": "prospect", "lifecycle_stage": "awareness", "last_contacted": null,
                 "created_at": "2024-01-10T14:30:00Z", "updated_at": "2024-01-10T14:30:00Z"}
                """#
            let invalidCredentials = #"{"detail": "Invalid or missing credentials"}"#
            let notFound = #"{"detail": "Contact not found"}"#

            let first = results(for: c1)
            #expect(first.count == 12)
            let expectations: [(TestCommand, String, Int, String, Bool)] = [
                (create, "CreateContact", 201, contactBody, false),
                (interact, "AddInteraction", 201, interactionBody, false),
                (qualify, "UpdateStatus", 200, statusBody, false),
                (noToken, "UpdateStatus", 401, invalidCredentials, false),
                (expiredToken, "UpdateStatus", 401, invalidCredentials, false),
                (otherBusiness, "UpdateStatus", 403, #"{"detail": "Not a member of this business"}"#, false),
                (
                    viewerCommand, "UpdateStatus", 403,
                    #"{"detail": "Insufficient permissions: edit_contacts required"}"#,
                    false
                ),
                (
                    invalid, "AddInteraction", 422,
                    #"""
                    {"detail": [
                      {"loc": ["body", "type"], "msg": "Input should be 'call', 'email', 'meeting', 'proposal', 'quote', 'contract', 'service', 'follow_up' or 'note'", "type": "enum"},
                      {"loc": ["body", "description"], "msg": "String should have at least 1 character", "type": "string_too_short"}
                    ]}
                    """#, false
                ),
                (
                    skip, "UpdateStatus", 400,
                    #"{"detail": "Invalid status transition: cannot move from qualified_lead to active_client"}"#, false
                ),
                (recreate, "CreateContact", 409, #"{"detail": "Contact already exists"}"#, false),
                (resent, "AddInteraction", 201, interactionBody, true),
                (
                    reused, "UpdateStatus", 409, #"{"detail": "command_id was already used for a different command"}"#,
                    false
                ),
            ]
            for (index, expected) in expectations.enumerated() where index < first.count {
                try expectResult(
                    first[index], expected.0, type: expected.1, status: expected.2, body: expected.3,
                    duplicate: expected.4)
            }
            let absentResults = results(for: missing)
            let foreignResults = results(for: c2)
            #expect(absentResults.count == 1)
            #expect(foreignResults.count == 2)
            try expectResult(absentResults.first, absent, type: "AddInteraction", status: 404, body: notFound)
            try expectResult(
                foreignResults.first, createOther, type: "CreateContact", status: 201, body: otherContactBody)
            try expectResult(foreignResults.last, foreign, type: "AddInteraction", status: 404, body: notFound)
            // A contact of another business is indistinguishable from a missing one.
            #expect(absentResults.first?.body == foreignResults.last?.body)

            // MARK: Dead letter
            let deadLetter = try #require(deadLetters.first)
            #expect(deadLetter.key == Array(c1.utf8))
            #expect(deadLetter.value == Array("not json {".utf8))
            #expect(deadLetter.header("x-trace") == "trace-1")
            #expect(deadLetter.header("x-error-reason")?.hasPrefix("value is not valid JSON") == true)
            #expect(deadLetter.header("x-original-topic") == harness.topics.commands)
            #expect(deadLetter.header("x-original-partition") == String(harness.partition(for: c1)))
            #expect(deadLetter.header("x-original-offset") == "3")
            #expect(deadLetter.header("x-original-timestamp").flatMap(Int64.init) != nil)

            // MARK: Events: the accepted commands only, in command order per contact.
            let events = try eventMessages.map { try JSONValue.parse($0.value) }
            // The contact's version after each change: 1 at creation, one more per accepted command.
            let expectedEvents: [(TestCommand, String, String, Int, String)] = [
                (create, "ContactCreated", "2024-01-10T14:30:00Z", 1, contactBody),
                (interact, "InteractionRecorded", "2024-01-10T14:31:00Z", 2, interactionBody),
                (qualify, "StatusChanged", "2024-01-10T14:32:00Z", 3, statusBody),
                (createOther, "ContactCreated", "2024-01-10T14:30:00Z", 1, otherContactBody),
            ]
            let c1Events = zip(eventMessages, events).filter { $0.1["subject"]?.stringValue == c1 }
            let c2Events = zip(eventMessages, events).filter { $0.1["subject"]?.stringValue == c2 }
            #expect(c1Events.count == 3)
            #expect(c2Events.count == 1)
            for ((message, event), expected) in zip(c1Events + c2Events, expectedEvents) {
                let (command, type, time, version, data) = expected
                let eventType = try #require(ContactEventType(rawValue: type))
                let id = DeterministicID.event(
                    commandID: try #require(UUID(uuidString: command.commandID)), type: eventType)
                let business = command.contactID == c2 ? "biz-2" : "biz-1"
                let envelope = #"""
                    {"specversion": "1.0", "id": "\#(id.lowercasedString)", "source": "contact-worker", "type": "\#(type)",
                     "subject": "\#(command.contactID)", "time": "\#(time)", "datacontenttype": "application/json",
                     "businessid": "\#(business)", "commandid": "\#(command.commandID)", "contactversion": \#(version),
                     "data": \#(data)}
                    """#
                #expect(event.canonicalized == (try json(envelope)))
                #expect(message.header("content-type") == "application/cloudevents+json")
                #expect(message.key == Array(command.contactID.utf8))
            }

            // MARK: Rows
            let contactID = try #require(UUID(uuidString: c1))
            let contact = try #require(try await harness.store.contact(id: contactID, businessID: "biz-1"))
            #expect(contact.displayName == "Grace Hopper")
            #expect(contact.email == "grace@example.com")
            #expect(contact.relationshipStatus == .qualifiedLead)
            #expect(contact.lifecycleStage == .interest)
            #expect(contact.lastContacted?.rfc3339 == "2024-01-10T14:31:00Z")
            #expect(contact.createdAt.rfc3339 == "2024-01-10T14:30:00Z")
            #expect(contact.updatedAt.rfc3339 == "2024-01-10T14:32:00Z")
            #expect(try await harness.store.contact(id: contactID, businessID: "biz-2") == nil)
            let missingID = try #require(UUID(uuidString: missing))
            #expect(try await harness.store.contact(id: missingID, businessID: "biz-1") == nil)

            let interactions = try await harness.store.interactions(contactID: contactID, skip: 0, limit: 100)
            #expect(interactions.total == 1)
            #expect(
                interactions.items.map { ResultBodies.interaction($0).canonicalized } == [try json(interactionBody)])

            let history = try await harness.store.statusHistory(contactID: contactID, skip: 0, limit: 100)
            #expect(history.total == 2)
            let entries = history.items.sorted { $0.timestamp < $1.timestamp }
            #expect(entries.map(\.fromStatus) == [nil, .prospect])
            #expect(entries.map(\.toStatus) == [.prospect, .qualifiedLead])
            #expect(entries.map(\.reason) == ["Initial status", "Budget confirmed"])
            #expect(entries.map(\.changedByID) == ["u-1", "u-1"])
            #expect(
                entries.last?.id
                    == DeterministicID.historyEntry(commandID: try #require(UUID(uuidString: qualify.commandID))))

            let c2ID = try #require(UUID(uuidString: c2))
            let other = try #require(try await harness.store.contact(id: c2ID, businessID: "biz-2"))
            #expect(ResultBodies.contact(other).canonicalized == (try json(otherContactBody)))
            #expect(try await harness.store.interactions(contactID: other.id, skip: 0, limit: 100).total == 0)
        }
    }

    @Test("ids sent upper-case: the result and the event echo them, and are keyed by the contact id, lower-cased")
    func upperCaseIDs() async throws {
        try await withHarness(.sqlite) { harness in
            let contact = "550E8400-E29B-41D4-A716-4466554400AB"
            let create = TestCommand(
                commandID: "6BA7B810-9DAD-41D1-80B4-00C04FD430C8", type: "CreateContact", contactID: contact,
                payload: #"{"company_name": "Upper Co"}"#, token: try await harness.token())
            let worker = try harness.startWorker()
            try await harness.send([harness.message(create)])
            let result = try #require(try await harness.read(harness.topics.results, count: 1).first)
            let event = try #require(try await harness.read(harness.topics.events, count: 1).first)
            try await worker.stop()

            let lower = contact.lowercased()
            let published = try PublishedResult(result)
            #expect(published.status == 201)
            #expect(published.commandID == create.commandID.lowercased())
            #expect(published.json["contact_id"]?.stringValue == lower)
            #expect(result.key == Array(lower.utf8))
            let body = try JSONValue.parse(event.value)
            #expect(body["subject"]?.stringValue == lower)
            #expect(body["commandid"]?.stringValue == create.commandID.lowercased())
            #expect(event.key == Array(lower.utf8))
        }
    }

    @Test("header names match in any case, the last one counts, a value not UTF-8 is absent (docs/contract.md §3.1)")
    func commandHeaderNames() async throws {
        try await withHarness(.sqlite) { harness in
            let owner = try await harness.token()
            let expired = try await harness.token(expiresIn: -3600)
            let payload = #"{"company_name": "Header Co"}"#
            let anyCase = TestCommand(
                type: "CreateContact", contactID: "550e8400-e29b-41d4-a716-446655440011", payload: payload, token: nil)
            let notUTF8Correlation = TestCommand(
                type: "CreateContact", contactID: "550e8400-e29b-41d4-a716-446655440012", payload: payload, token: nil)
            let notUTF8Token = TestCommand(
                type: "CreateContact", contactID: "550e8400-e29b-41d4-a716-446655440013", payload: payload, token: nil)
            let headers: [[KafkaHeader]] = [
                [
                    KafkaHeader(name: "authorization", string: "Bearer \(expired)"),
                    KafkaHeader(name: "AUTHORIZATION", string: "Bearer \(owner)"),
                    KafkaHeader(name: "Correlation-ID", string: "corr-any-case"),
                ],
                [
                    KafkaHeader(name: "Authorization", string: "Bearer \(owner)"),
                    KafkaHeader(name: "correlation-id", string: "corr-replaced"),
                    KafkaHeader(name: "CORRELATION-ID", value: [0xFF, 0xFE]),
                ],
                [
                    KafkaHeader(name: "authorization", string: "Bearer \(owner)"),
                    KafkaHeader(name: "Authorization", value: [0xC3, 0x28]),
                    KafkaHeader(name: "correlation-id", string: "corr-no-token"),
                ],
            ]
            let commands = [anyCase, notUTF8Correlation, notUTF8Token]
            let messages = zip(commands, headers).map { command, headers in
                var message = harness.message(command)
                message.headers = headers
                return message
            }

            let worker = try harness.startWorker()
            try await harness.send(messages)
            let results = try await harness.read(harness.topics.results, count: commands.count).map(
                PublishedResult.init)
            try await worker.stop()

            func result(_ command: TestCommand) -> PublishedResult? {
                results.first { $0.commandID == command.commandID }
            }
            #expect(result(anyCase)?.status == 201)
            #expect(result(anyCase)?.json["correlation_id"]?.stringValue == "corr-any-case")
            #expect(result(notUTF8Correlation)?.status == 201)
            #expect(result(notUTF8Correlation)?.json["correlation_id"]?.isNull == true)
            #expect(result(notUTF8Token)?.status == 401)
            #expect(result(notUTF8Token)?.json["correlation_id"]?.stringValue == "corr-no-token")
        }
    }
}
