import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Synchronization
import Testing

/// 100 contacts, each created and then given nine interactions: 1,000 state-changing commands.
func thousandCommands(token: String) -> [TestCommand] {
    var commands: [TestCommand] = []
    for contact in 0..<100 {
        let contactID = String(format: "00000000-0000-4000-8000-%012d", contact)
        commands.append(
            TestCommand(
                type: "CreateContact", contactID: contactID,
                payload: #"{"company_name": "Company \#(contact)", "email": "info\#(contact)@example.com"}"#,
                token: token))
        for interaction in 1...9 {
            commands.append(
                TestCommand(
                    type: "AddInteraction", contactID: contactID, issuedAt: "2024-01-10T15:0\(interaction):00Z",
                    payload: #"{"type": "note", "description": "Note \#(interaction)"}"#, token: token))
        }
    }
    return commands
}

@Suite("Idempotency (docs/contract.md §6, §9)")
struct IdempotencyTests {
    @Test(
        "the same 1,000 commands sent twice: 1,000 state changes, 1,000 events, 2,000 results (1,000 duplicate)",
        arguments: Backend.available)
    func sameCommandsTwice(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 4) { harness in
            let commands = thousandCommands(token: try await harness.token())
            let messages = commands.map(harness.message)

            let worker = try harness.startWorker()
            try await harness.send(messages)
            try await harness.send(messages)
            let results = try await harness.read(harness.topics.results, count: 2_000).map(PublishedResult.init)
            let events = try await harness.read(harness.topics.events, count: 1_000)
            try await worker.stop()

            #expect(try await harness.messageCount(harness.topics.results) == 2_000)
            #expect(try await harness.messageCount(harness.topics.events) == 1_000)
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 0)

            let byCommand = Dictionary(grouping: results, by: { $0.commandID ?? "" })
            #expect(byCommand.count == 1_000)
            #expect(results.filter { $0.duplicate == true }.count == 1_000)
            for command in commands {
                let pair = byCommand[command.commandID] ?? []
                #expect(pair.count == 2, "results of \(command.commandID)")
                guard pair.count == 2 else { continue }
                // The original comes first (same partition), the duplicate repeats its status and body.
                #expect(pair.map(\.duplicate) == [false, true])
                #expect(pair.map(\.status) == [201, 201])
                #expect(pair[0].body == pair[1].body)
            }

            let eventIDs = try events.map { try #require(try JSONValue.parse($0.value)["id"]?.stringValue) }
            #expect(Set(eventIDs).count == 1_000)
            let eventCommands = Set(
                try events.map { try #require(try JSONValue.parse($0.value)["commandid"]?.stringValue) })
            #expect(eventCommands == Set(commands.map(\.commandID)))

            for contact in [0, 42, 99] {
                let contactID = try #require(UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", contact)))
                let stored = try await harness.store.contact(id: contactID, businessID: "biz-1")
                #expect(stored?.displayName == "Company \(contact)")
                #expect(stored?.lastContacted?.rfc3339 == "2024-01-10T15:09:00Z")
                #expect(try await harness.store.interactions(contactID: contactID, skip: 0, limit: 100).total == 9)
                #expect(try await harness.store.statusHistory(contactID: contactID, skip: 0, limit: 100).total == 1)
                #expect(try await harness.store.events(.contact(contactID)).count == 10)
            }
            #expect(try await harness.store.pendingOutbox(limit: 10).isEmpty)
        }
    }

    @Test(
        "a seen command_id is answered only to a sender who may send it: 401 and 403 come before the duplicate and the 409",
        arguments: Backend.available)
    func seenCommandsAreAuthorizedFirst(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 2) { harness in
            let owner = try await harness.token()
            let contact = "00000000-0000-4000-8000-0000000000a1"
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"first_name": "Ada"}"#, token: owner)
            func resend(token: String?, payload: String = #"{"first_name": "Ada"}"#) -> TestCommand {
                TestCommand(
                    commandID: create.commandID, type: "CreateContact", contactID: contact, payload: payload,
                    token: token)
            }
            let worker = try harness.startWorker()
            try await harness.send([create].map(harness.message))
            _ = try await harness.read(harness.topics.results, count: 1)
            try await harness.send(
                [
                    resend(token: nil),
                    resend(token: try await harness.token(business: "biz-2")),
                    resend(token: try await harness.token(role: "viewer")),
                    resend(token: nil, payload: #"{"first_name": "Eve"}"#),
                    resend(token: owner, payload: #"{"first_name": "Eve"}"#),
                    resend(token: owner),
                ].map(harness.message))
            let results = try await harness.read(harness.topics.results, count: 7).map(PublishedResult.init)
            try await worker.stop()

            #expect(results.map(\.commandID) == Array(repeating: create.commandID, count: 7))
            #expect(results.map(\.status) == [201, 401, 403, 403, 401, 409, 201])
            #expect(results.map(\.duplicate) == [false, false, false, false, false, false, true])
            #expect(
                results.map { $0.body?["detail"]?.stringValue } == [
                    nil, ResultDetail.invalidCredentials, ResultDetail.notAMember, ResultDetail.insufficientPermissions,
                    ResultDetail.invalidCredentials, "command_id was already used for a different command", nil,
                ])
            #expect(results[6].body == results[0].body)
            #expect(try await harness.messageCount(harness.topics.events) == 1)
        }
    }
}

extension IdempotencyTests {
    @Test(
        "a one-message batch that another writer's record of the same command breaks (unique key) is planned again: a duplicate, not a dead letter",
        arguments: Backend.available)
    func commandRecordedMeanwhileIsADuplicate(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 1) { harness in
            let contact = "00000000-0000-4000-8000-0000000000b1"
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"first_name": "Ada"}"#,
                token: try await harness.token())
            let store = RacedStore(harness.store)
            let worker = try harness.startWorker(store: store)
            try await harness.send([harness.message(create)])
            // Whichever comes: the result, or (wrongly) a dead letter.
            try await eventually(60, "a result or a dead letter") {
                try await harness.messageCount(harness.topics.results)
                    + harness.messageCount(harness.topics.deadLetters)
                    > 0
            }
            try await worker.stop()

            #expect(store.raced, "set-up: the other writer's record must have come first")
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 0)
            #expect(
                try await harness.messageCount(harness.topics.events) == 0, "the other writer publishes its own events")
            try #require(try await harness.messageCount(harness.topics.results) == 1)
            let result = try PublishedResult(
                try #require(try await harness.read(harness.topics.results, count: 1).first))
            let stored = try #require(
                try await harness.store.processedCommands(ids: [create.commandID])[create.commandID])
            #expect(result.commandID == create.commandID)
            #expect(result.duplicate == true)
            #expect(result.status == 201)
            #expect(result.status == stored.resultStatus)
            #expect(result.body == (try JSONValue.parse(stored.resultBody)))
            #expect(result.body?["first_name"]?.stringValue == "Ada")
            let contactID = try #require(UUID(uuidString: contact))
            #expect(try await harness.store.contact(id: contactID, businessID: "biz-1")?.firstName == "Ada")
            #expect(try await harness.store.statusHistory(contactID: contactID, skip: 0, limit: 10).total == 1)
        }
    }
}

/// The harness's store, as if another worker wrote the same command first: the first time a
/// one-message batch comes, what that batch changes (state, event log, idempotency record) is
/// written through the base store, then the batch itself is forwarded and breaks the
/// `processed_commands` unique key.
private final class RacedStore: ForwardingStore {
    let base: any ContactStore
    private let done = Mutex(false)

    init(_ base: any ContactStore) {
        self.base = base
    }

    /// Whether the other writer's transaction was written.
    var raced: Bool { done.withLock { $0 } }

    func apply(_ batch: StoreBatch) async throws -> [Int64] {
        if batch.processedCommands.count == 1,
            done.withLock({ done in
                defer { done = true }
                return !done
            })
        {
            try await base.apply(
                StoreBatch(
                    contacts: batch.contacts, interactions: batch.interactions, statusHistory: batch.statusHistory,
                    processedCommands: batch.processedCommands, events: batch.events))
        }
        return try await base.apply(batch)
    }
}
