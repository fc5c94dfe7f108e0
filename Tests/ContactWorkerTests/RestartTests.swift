import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

@Suite("Restarts and shutdown (docs/contract.md §9)")
struct RestartTests {
    static func contactID(_ index: Int) -> String { String(format: "00000000-0000-4000-9000-%012d", index) }

    /// Phase one: each of 40 contacts created and given four interactions (200 commands).
    /// Phase two: five more interactions and a qualification each (240 commands).
    static func phases(token: String) -> (first: [TestCommand], second: [TestCommand]) {
        var first: [TestCommand] = []
        var second: [TestCommand] = []
        for contact in 0..<40 {
            let id = contactID(contact)
            first.append(
                TestCommand(
                    type: "CreateContact", contactID: id, payload: #"{"first_name": "C\#(contact)"}"#, token: token))
            for interaction in 1...9 {
                let command = TestCommand(
                    type: "AddInteraction", contactID: id, issuedAt: "2024-01-10T16:0\(interaction):00Z",
                    payload: #"{"type": "email", "description": "Mail \#(interaction)"}"#, token: token)
                if interaction <= 4 { first.append(command) } else { second.append(command) }
            }
            second.append(
                TestCommand(
                    type: "UpdateStatus", contactID: id, issuedAt: "2024-01-10T17:00:00Z",
                    payload: #"{"relationship_status": "qualified_lead"}"#, token: token))
        }
        return (first, second)
    }

    @Test(
        "a restarted worker resumes from the offsets stored in the database and re-publishes nothing twice except unpublished outbox rows",
        arguments: Backend.available)
    func restartResumesFromStoredOffsets(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 4) { harness in
            let (first, second) = Self.phases(token: try await harness.token())
            let group = "restart-\(UUID().uuidString.prefix(8).lowercased())"

            let workerA = try harness.startWorker(group: group)
            try await harness.send(first.map(harness.message))
            _ = try await harness.read(harness.topics.results, count: first.count)
            try await workerA.stop()

            // Everything A consumed is recorded in the database, per partition.
            let stored = try await harness.store.offsets(group: group, topic: harness.topics.commands)
            #expect(stored.values.reduce(0, +) == Int64(first.count))
            #expect(try await harness.store.pendingOutbox(limit: 10).isEmpty)

            // Kafka's copy of the group's offsets is rewound to the start: only the database says
            // where A stopped, so B re-reading phase one would show up as 200 duplicate results.
            var rewind = harness.groupMemberConfiguration(group: group)
            rewind.set("enable.auto.commit", "false")
            let rewinder = try KafkaConsumer(configuration: rewind, logger: testLogger)
            let partitions = try await rewinder.partitions(of: harness.topics.commands)
            try await rewinder.subscribe(topics: [harness.topics.commands])
            try await eventually(60, "the rewinder's assignment", every: .milliseconds(50)) {
                rewinder.assignment().count >= partitions.count
            }
            try await rewinder.commit(offsets: Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(0)) }))
            let committed = try await rewinder.committed(partitions)
            #expect(committed.values.allSatisfy { $0 == 0 })
            await rewinder.close()

            // A row committed but never published (a crash between the two) goes out on start-up.
            var leftover = StoreBatch()
            leftover.outbox = [
                OutboxMessage(
                    topic: harness.topics.results, key: Array("leftover".utf8),
                    value: Array(#"{"leftover": true}"#.utf8),
                    contactID: nil)
            ]
            _ = try await harness.store.apply(leftover)

            let workerB = try harness.startWorker(group: group)
            try await harness.send(second.map(harness.message))
            let results = try await harness.read(harness.topics.results, count: first.count + 1 + second.count)
            let events = try await harness.read(harness.topics.events, count: first.count + second.count)
            try await workerB.stop()

            #expect(try await harness.messageCount(harness.topics.results) == Int64(first.count + 1 + second.count))
            #expect(try await harness.messageCount(harness.topics.events) == Int64(first.count + second.count))
            #expect(
                results.filter { $0.key == Array("leftover".utf8) }.map(\.value) == [Array(#"{"leftover": true}"#.utf8)]
            )
            let parsed = try results.filter { $0.key != Array("leftover".utf8) }.map(PublishedResult.init)
            #expect(parsed.allSatisfy { $0.duplicate == false })
            let byCommand = Dictionary(grouping: parsed, by: { $0.commandID ?? "" })
            let all = first + second
            #expect(byCommand.count == all.count)
            for command in all {
                #expect(byCommand[command.commandID]?.count == 1, "results of \(command.commandID)")
            }
            #expect(parsed.filter { $0.status == 201 }.count == 400)
            #expect(parsed.filter { $0.status == 200 }.count == 40)
            #expect(Set(try events.map { try JSONValue.parse($0.value)["id"]?.stringValue ?? "" }).count == all.count)

            for contact in 0..<40 {
                let id = try #require(UUID(uuidString: Self.contactID(contact)))
                let stored = try await harness.store.contact(id: id, businessID: "biz-1")
                #expect(stored?.relationshipStatus == .qualifiedLead)
                #expect(stored?.lifecycleStage == .interest)
                #expect(stored?.lastContacted?.rfc3339 == "2024-01-10T16:09:00Z")
                #expect(try await harness.store.interactions(contactID: id, skip: 0, limit: 100).total == 9)
                #expect(try await harness.store.statusHistory(contactID: id, skip: 0, limit: 100).total == 2)
            }
            let final = try await harness.store.offsets(group: group, topic: harness.topics.commands)
            #expect(final.values.reduce(0, +) == Int64(all.count))
            #expect(try await harness.store.pendingOutbox(limit: 10).isEmpty)
        }
    }

    @Test("graceful shutdown finishes within 30 s")
    func gracefulShutdownIsQuick() async throws {
        try await withHarness(.sqlite, commandPartitions: 4) { harness in
            let (first, _) = Self.phases(token: try await harness.token())
            let worker = try harness.startWorker()
            try await harness.send(first.map(harness.message))
            _ = try await harness.read(harness.topics.results, count: first.count)

            let started = ContinuousClock.now
            try await within(60, "the worker to stop") { try await worker.stop() }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(30), "stopping took \(elapsed)")
            #expect(worker.health.notReadyReason != nil)
        }
    }
}
