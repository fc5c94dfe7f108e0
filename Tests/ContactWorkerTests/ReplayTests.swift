import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

@Suite("Replay (docs/contract.md §10)")
struct ReplayTests {
    @Test(
        "replaying processed commands changes nothing; replaying into an empty database rebuilds the same state",
        arguments: Backend.available)
    func replayIsIdempotentAndRebuilds(backend: Backend) async throws {
        try await withHarness(backend, commandPartitions: 4) { harness in
            let commands = thousandCommands(token: try await harness.token())
            let worker = try harness.startWorker()
            try await harness.send(commands.map(harness.message))
            _ = try await harness.read(harness.topics.results, count: 1_000)
            try await worker.stop()
            let before = try await Snapshot(harness.store)
            #expect(before.contacts.count == 100)

            // 1. Replay the whole topic over the same database: all duplicates, nothing changes.
            let again = try await replay(harness, into: harness.store, dryRun: false)
            #expect(again.summary.duplicates == 1_000)
            #expect(again.summary.applied == 0)
            #expect(again.summary.rejected == 0)
            #expect(again.summary.deadLettered == 0)
            #expect(again.ranges.values.reduce(0) { $0 + $1.count } == 1_000)
            #expect(try await Snapshot(harness.store) == before)
            // Duplicates publish a result each but no event.
            try await harness.waitForCount(harness.topics.results, atLeast: 2_000)
            #expect(try await harness.messageCount(harness.topics.events) == 1_000)

            // 2. A dry run over an empty database says what would happen and writes nothing.
            let empty = try await emptyStore(backend, harness: harness)
            let dry = try await replay(harness, into: empty, dryRun: true)
            #expect(dry.summary.applied == 1_000)
            #expect(try await empty.contacts(ids: before.contacts.keys.map { $0 }).isEmpty)

            // 3. The database is lost: replaying the topic rebuilds it identically (ids, timestamps, events).
            let rebuilt = try await replay(harness, into: empty, dryRun: false)
            #expect(rebuilt.summary.applied == 1_000)
            #expect(rebuilt.summary.duplicates == 0)
            #expect(try await Snapshot(empty) == before)
            await empty.close()
        }
    }

    @Test("a replay stops at the group's stored position: what follows is the workers' to process, in order")
    func replayStopsAtTheGroupPosition() async throws {
        try await withHarness(.sqlite, commandPartitions: 4) { harness in
            let token = try await harness.token()
            let commands = thousandCommands(token: token)
            let worker = try harness.startWorker()
            try await harness.send(commands.map(harness.message))
            _ = try await harness.read(harness.topics.results, count: 1_000)
            try await worker.stop()
            let positions = try await harness.store.offsets(group: worker.groupID, topic: harness.topics.commands)
            #expect(positions.values.reduce(0, +) == 1_000)

            // Sent while no worker runs: not processed by the group yet.
            let contact = "00000000-0000-4000-8000-0000000000c3"
            let later = [
                TestCommand(
                    type: "CreateContact", contactID: contact, payload: #"{"first_name": "Later"}"#, token: token),
                TestCommand(
                    type: "UpdateStatus", contactID: contact, payload: #"{"relationship_status": "qualified_lead"}"#,
                    token: token),
            ]
            try await harness.send(later.map(harness.message))

            let stopped = try await replay(harness, into: harness.store, dryRun: false, group: worker.groupID)
            #expect(stopped.summary.messages == 1_000)
            #expect(stopped.summary.duplicates == 1_000)
            // Reported only where it left something out: the partition the two later commands went to.
            #expect(stopped.stoppedAtGroupPosition.count == 1)
            #expect(stopped.stoppedAtGroupPosition.allSatisfy { positions[$0.key] == $0.value })
            #expect(
                try await harness.store.contact(id: try #require(UUID(uuidString: contact)), businessID: "biz-1") == nil
            )

            let beyond = try await replay(
                harness, into: harness.store, dryRun: false, group: worker.groupID, beyondGroupPosition: true)
            #expect(beyond.summary.applied == 2)
            #expect(beyond.stoppedAtGroupPosition.isEmpty)
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
            #expect(stored?.relationshipStatus == .qualifiedLead)
        }
    }

    @Test("below the group's position a replay leaves alone what the workers refused without a record")
    func replayLeavesDecidedMessagesAlone() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            // Valid when sent, expired by the time the worker sees it: the worker answers 401 and
            // keeps no record (the sender may retry with a fresh token).
            let shortLived = try await harness.token(expiresIn: 2)
            let refused = TestCommand(
                type: "CreateContact", contactID: "00000000-0000-4000-8000-0000000000d1",
                payload: #"{"first_name": "Late"}"#,
                token: shortLived)
            let accepted = TestCommand(
                type: "CreateContact", contactID: "00000000-0000-4000-8000-0000000000d2",
                payload: #"{"first_name": "On time"}"#,
                token: try await harness.token())
            try await harness.send([
                harness.message(refused),
                KafkaOutgoingMessage(
                    topic: harness.topics.commands, partition: 0, key: Array("poison".utf8), value: Array("{oops".utf8)),
                harness.message(accepted),
            ])
            try await Task.sleep(for: .milliseconds(3_500))
            let worker = try harness.startWorker()
            let results = try await harness.read(harness.topics.results, count: 2).map(PublishedResult.init)
            _ = try await harness.read(harness.topics.deadLetters, count: 1)
            try await worker.stop()
            #expect(results.map(\.status) == [401, 201])

            // The replay checks tokens as of the message time, so without the workers' decision it
            // would now accept the late command and dead-letter the poison message a second time.
            for dryRun in [true, false] {
                let report = try await replay(harness, into: harness.store, dryRun: dryRun, group: worker.groupID)
                #expect(report.summary.skipped == 2, "dry run: \(dryRun)")
                #expect(report.summary.duplicates == 1, "dry run: \(dryRun)")
                #expect(report.summary.applied == 0, "dry run: \(dryRun)")
                #expect(report.summary.deadLettered == 0, "dry run: \(dryRun)")
                #expect(report.summary.messages == 3, "dry run: \(dryRun)")
            }
            #expect(
                try await harness.store.contact(
                    id: try #require(UUID(uuidString: refused.contactID)), businessID: "biz-1")
                    == nil)
            try await harness.waitForCount(harness.topics.results, atLeast: 3)
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 1)
            #expect(try await harness.messageCount(harness.topics.results) == 3)
        }
    }

    @Test(
        "only from the workers' first stored batch on are unrecorded messages left alone; before it everything is replayed"
    )
    func replayBeforeTheFirstStoredBatch() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let token = try await harness.token()
            let before = TestCommand(
                type: "CreateContact", contactID: "00000000-0000-4000-8000-0000000000f1",
                payload: #"{"first_name": "Before"}"#, token: token)
            let unrecorded = TestCommand(
                type: "CreateContact", contactID: "00000000-0000-4000-8000-0000000000f2",
                payload: #"{"first_name": "Refused"}"#, token: token)
            try await harness.send([
                harness.message(before),
                KafkaOutgoingMessage(
                    topic: harness.topics.commands, partition: 0, key: Array("poison".utf8), value: Array("{no".utf8)),
                harness.message(unrecorded),
            ])
            // A database rebuilt after a loss: its workers started at the group's Kafka commit
            // (offset 1) and decided offsets 1 and 2 without leaving a record (a dead letter, a 401).
            try await harness.store.apply(
                StoreBatch(offsets: [
                    ConsumerOffset(
                        group: "rebuilt", topic: harness.topics.commands, partition: 0, nextOffset: 3, firstOffset: 1)
                ]))

            let report = try await replay(harness, into: harness.store, dryRun: false, group: "rebuilt")
            #expect(report.summary.applied == 1)
            #expect(report.summary.skipped == 2)
            #expect(report.summary.deadLettered == 0)
            #expect(
                try await harness.store.contact(
                    id: try #require(UUID(uuidString: before.contactID)), businessID: "biz-1")
                    != nil)
            #expect(
                try await harness.store.contact(
                    id: try #require(UUID(uuidString: unrecorded.contactID)), businessID: "biz-1") == nil)

            // Restored from a backup, or workers that ran with a wrong key: decide them again.
            let again = try await replay(
                harness, into: harness.store, dryRun: false, group: "rebuilt", redecideUnrecorded: true)
            #expect(again.summary.duplicates == 1)
            #expect(again.summary.applied == 1)
            #expect(again.summary.deadLettered == 1)
            #expect(again.summary.skipped == 0)
            #expect(
                try await harness.store.contact(
                    id: try #require(UUID(uuidString: unrecorded.contactID)), businessID: "biz-1") != nil)
        }
    }

    @Test("replaying a range signed with a removed key needs only a JWKS that still holds it (JWT_JWKS_FILE)")
    func replayWithOldKeysInTheJWKS() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let old = try await TestSigningKey.es256(kid: "old")
            let new = try await TestSigningKey.es256(kid: "new")
            let claims = TokenClaims(
                sub: "u-1", exp: Date().timeIntervalSince1970 + 3600, businessID: "biz-1", role: "owner")
            let token = try await old.sign(claims)
            let commands = (1...4).map { index in
                TestCommand(
                    type: "CreateContact", contactID: "00000000-0000-4000-8000-00000000000\(index)",
                    payload: #"{"first_name": "Old"}"#, token: token)
            }
            let volume = try SecretVolume(name: "jwks.json", contents: TestSigningKey.jwks([old]))
            defer { volume.remove() }
            func verifier() async throws -> TokenVerifier {
                try await WorkerSettings.load(
                    file: nil, environment: ["KAFKA_BROKERS": "unused:9092", "JWT_JWKS_FILE": volume.path]
                ).makeTokenVerifier()
            }
            let worker = try harness.startWorker(verifier: try await verifier())
            try await harness.send(commands.map(harness.message))
            let results = try await harness.read(harness.topics.results, count: 4).map(PublishedResult.init)
            #expect(results.map(\.status) == [201, 201, 201, 201])
            try await worker.stop()

            // The old key was rotated out; the database is lost.
            let empty = try await emptyStore(.sqlite, harness: harness)
            try volume.update(TestSigningKey.jwks([new]))
            let newOnly = try await replay(harness, into: empty, dryRun: true, verifier: try await verifier())
            #expect(newOnly.summary.applied == 0)
            try volume.update(TestSigningKey.jwks([new, old]))
            let bothKeys = try await replay(harness, into: empty, dryRun: true, verifier: try await verifier())
            #expect(bothKeys.summary.applied == 4)
            await empty.close()
        }
    }

    private func replay(
        _ harness: WorkerHarness, into store: any ContactStore, dryRun: Bool, group: String = "replay-test",
        beyondGroupPosition: Bool = false, redecideUnrecorded: Bool = false, verifier: TokenVerifier? = nil
    ) async throws -> CommandReplay.Report {
        let consumer = try KafkaConsumer(
            configuration: TopicRange.consumerConfiguration(
                KafkaConfiguration(bootstrapServers: harness.cluster.bootstrapServers)),
            logger: testLogger)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: harness.cluster.bootstrapServers),
            logger: testLogger)
        let replay = CommandReplay(
            consumer: consumer, producer: producer, store: store, verifier: verifier ?? harness.verifier,
            topics: harness.topics,
            group: group, logger: testLogger)
        let report = try await within(120, "the replay") {
            try await replay.run(
                .init(from: .offset(0)), dryRun: dryRun, beyondGroupPosition: beyondGroupPosition,
                redecideUnrecorded: redecideUnrecorded)
        }
        await consumer.close()
        await producer.shutdown()
        return report
    }

    /// A second, empty database of the same backend: what an operator has after losing the first.
    private func emptyStore(_ backend: Backend, harness: WorkerHarness) async throws -> any ContactStore {
        let url: String
        switch backend {
        case .sqlite:
            // In the harness's directory, so that closing the harness removes it too.
            let directory = try #require(harness.directory)
            url = "sqlite:" + directory.appendingPathComponent("replayed-\(UUID().uuidString).sqlite").path
        case .postgres:
            let base = try #require(TestEnvironment.postgresURL)
            url = TestEnvironment.freshSchemaURL(on: base, prefix: "r_")
        }
        let store = try await makeContactStore(url: url, logger: testLogger)
        try await store.migrate()
        return store
    }
}

/// Everything the worker stored about the test's 100 contacts, for before/after comparisons.
private struct Snapshot: Equatable {
    var contacts: [UUID: Contact] = [:]
    var interactions: [UUID: [Interaction]] = [:]
    var history: [UUID: [StatusHistoryEntry]] = [:]
    var events: [UUID: [StoredEvent]] = [:]

    init(_ store: any ContactStore) async throws {
        let ids = (0..<100).compactMap { UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", $0)) }
        contacts = try await store.contacts(ids: ids)
        for id in ids {
            interactions[id] = try await store.interactions(contactID: id, skip: 0, limit: 100).items
            history[id] = try await store.statusHistory(contactID: id, skip: 0, limit: 100).items
            events[id] = try await store.events(.contact(id))
        }
    }
}
