import ContactDomain
import ContactStore
import Foundation
import Testing

/// Throughput of the worker's per-batch store traffic; a measurement, not a timed assertion.
///
/// Run it in release mode against both backends:
///
///     CONTACT_WORKER_BENCH=1 scripts/with-postgres.sh \
///         swift test -c release --scratch-path .build-store-release --filter StoreBenchmark
///
/// Each batch is what 1,000 AddInteraction commands produce: 1,000 contact upserts, 1,000
/// interactions, 1,000 processed commands, 1,000 events, 2,000 outbox rows (event + result) and
/// the partitions' offsets. Results go to standard error.
@Suite("StoreBenchmark", .serialized, .enabled(if: TestEnvironment.benchmark))
struct StoreBenchmark {
    static let batches = 20
    static let commandsPerBatch = 1_000
    static let partitions: Int32 = 6

    @Test("apply 20 batches of 1,000 AddInteraction outcomes", arguments: Backend.allCases)
    func applyThroughput(backend: Backend) async throws {
        try await withStore(backend, postgresOptions: "max_connections=4") { store in
            let contacts = (0..<Self.commandsPerBatch).map { _ in Fixtures.contact() }
            try await store.apply(StoreBatch(contacts: contacts))
            let clock = ContinuousClock()
            var applyTime = Duration.zero
            var lookupTime = Duration.zero
            var drainTime = Duration.zero
            var rows = 0
            for batchNumber in 0..<Self.batches {
                let batch = Self.makeBatch(number: batchNumber, contacts: contacts)
                rows += batch.contacts.count + batch.interactions.count + batch.processedCommands.count
                    + batch.events.count + batch.outbox.count + batch.offsets.count

                // What the worker reads before deciding: contacts and idempotency records.
                lookupTime += try await clock.measure {
                    _ = try await store.contacts(ids: contacts.map(\.id))
                    _ = try await store.processedCommands(ids: batch.processedCommands.map(\.commandID))
                }
                applyTime += try await clock.measure {
                    try await store.apply(batch)
                }
                // What the outbox relay does afterwards: read pending rows, mark them published.
                drainTime += try await clock.measure {
                    var pending = try await store.pendingOutbox(limit: 1_000)
                    while !pending.isEmpty {
                        try await store.markPublished(sequences: pending.compactMap(\.sequence))
                        pending = try await store.pendingOutbox(limit: 1_000)
                    }
                }
            }
            let commands = Double(Self.batches * Self.commandsPerBatch)
            func perSecond(_ count: Double, _ duration: Duration) -> String {
                let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                return String(format: "%9.0f", count / seconds)
            }
            let total = applyTime + lookupTime + drainTime
            let report = """
                [bench] \(backend.rawValue): \(Self.batches) batches x \(Self.commandsPerBatch) AddInteraction \
                (\(rows / Self.batches) rows/batch)
                [bench] \(backend.rawValue):   apply only      \(perSecond(commands, applyTime)) commands/s \
                \(perSecond(Double(rows), applyTime)) rows/s  (\(applyTime / Self.batches) per batch)
                [bench] \(backend.rawValue):   lookups         \(perSecond(commands, lookupTime)) commands/s \
                (\(lookupTime / Self.batches) per batch)
                [bench] \(backend.rawValue):   outbox drain    \(perSecond(commands * 2, drainTime)) messages/s \
                (\(drainTime / Self.batches) per batch)
                [bench] \(backend.rawValue):   full cycle      \(perSecond(commands, total)) commands/s

                """
            FileHandle.standardError.write(Data(report.utf8))
            let stored = try await store.interactions(contactID: contacts[0].id, skip: 0, limit: 1)
            #expect(stored.total == Self.batches)
        }
    }

    static func makeBatch(number: Int, contacts: [Contact]) -> StoreBatch {
        var batch = StoreBatch()
        let base = Fixtures.baseTime.microsecondsSinceEpoch + Int64(number) * 1_000_000
        for (index, var contact) in contacts.enumerated() {
            let time = Timestamp(microsecondsSinceEpoch: base + Int64(index))
            let commandID = UUID().uuidString.lowercased()
            let interaction = Interaction(
                id: UUID(), contactID: contact.id, type: .call,
                description: "Discussed the maintenance contract renewal and next quarter's schedule",
                timestamp: time, outcome: "positive", nextAction: "send quote", scheduledFollowUp: nil,
                performedBy: "Grace Hopper", performedByID: "user-42")
            contact.lastContacted = time
            contact.updatedAt = time
            let resultBody = Array(
                """
                {"id":"\(interaction.id)","contact_id":"\(contact.id)","type":"call","description":"\(interaction.description)",\
                "timestamp":"\(time.rfc3339)","outcome":"positive","next_action":"send quote","scheduled_follow_up":null,\
                "performed_by":"Grace Hopper","performed_by_id":"user-42"}
                """.utf8)
            let eventID = UUID()
            let eventBody = Array(
                """
                {"specversion":"1.0","id":"\(eventID)","source":"contact-worker","type":"InteractionRecorded",\
                "subject":"\(contact.id)","time":"\(time.rfc3339)","datacontenttype":"application/json",\
                "businessid":"\(contact.businessID)","commandid":"\(commandID)","data":
                """.utf8) + resultBody + [UInt8(ascii: "}")]
            let key = Array(contact.id.uuidString.lowercased().utf8)
            batch.contacts.append(contact)
            batch.interactions.append(interaction)
            batch.processedCommands.append(
                ProcessedCommand(
                    commandID: commandID, fingerprint: "sha256:" + String(repeating: "ab", count: 32),
                    businessID: contact.businessID, contactID: contact.id.uuidString.lowercased(),
                    commandType: "AddInteraction", resultStatus: 201, resultBody: resultBody, processedAt: time))
            batch.events.append(
                StoredEvent(
                    id: eventID, contactID: contact.id, businessID: contact.businessID, commandID: commandID,
                    type: "InteractionRecorded", time: time, body: eventBody))
            batch.outbox.append(
                OutboxMessage(
                    topic: "contacts.events", key: key, value: eventBody,
                    headers: [("content-type", Array("application/cloudevents+json".utf8))],
                    contactID: contact.id.uuidString.lowercased()))
            batch.outbox.append(
                OutboxMessage(
                    topic: "contacts.command-results", key: key, value: resultBody,
                    headers: [("correlation-id", Array(commandID.utf8))],
                    contactID: contact.id.uuidString.lowercased()))
        }
        batch.offsets = (0..<partitions).map {
            ConsumerOffset(group: "contact-worker", topic: "contacts.commands", partition: $0, nextOffset: Int64(number * 200))
        }
        return batch
    }
}
