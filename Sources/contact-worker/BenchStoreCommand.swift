import ArgumentParser
import ContactDomain
import ContactStore
import Foundation

/// `contact-worker bench store`: the worker's per-batch database traffic, without Kafka.
///
/// Each batch is what 1,000 AddInteraction commands produce: the contact lookups and idempotency
/// lookups the worker reads first, then one `apply` with 1,000 contact upserts, 1,000
/// interactions, 1,000 processed commands, 1,000 events, 2,000 outbox rows (event and result)
/// and the partitions' offsets, then the relay's read-publish-mark of those outbox rows.
struct BenchStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure ContactStore throughput for batches of AddInteraction outcomes.",
        discussion:
            "Uses a fresh SQLite file in a temporary directory unless --database-url is given (PostgreSQL: an empty database)."
    )

    @Option(help: "DATABASE_URL to measure (default: sqlite in a temporary directory).")
    var databaseURL: String?

    @Option(help: "Number of batches.")
    var batches = 20

    @Option(help: "AddInteraction outcomes per batch.")
    var batchSize = 1_000

    func validate() throws {
        guard batches > 0, batchSize > 0 else { throw ValidationError("--batches and --batch-size must be positive") }
    }

    func run() async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
            "contact-worker-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let url = databaseURL ?? "sqlite:\(temporary.appendingPathComponent("bench.sqlite").path)"
        let store = try await makeContactStore(url: url, logger: BenchCommand.logger)
        do {
            try await store.migrate()
            try await measure(store, name: url.hasPrefix("sqlite:") ? "SQLite" : "PostgreSQL")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    private func measure(_ store: any ContactStore, name: String) async throws {
        let start = Timestamp(microsecondsSinceEpoch: 1_704_067_200_000_000)
        let contacts = (0..<batchSize).map { index in
            Contact(
                id: UUID(), businessID: "bench-business", firstName: "Ada", lastName: "Lovelace \(index)",
                companyName: nil,
                displayName: "Ada Lovelace \(index)", email: "ada@example.com", phone: nil,
                relationshipStatus: .prospect,
                lifecycleStage: .awareness, lastContacted: nil, createdAt: start, updatedAt: start)
        }
        try await store.apply(StoreBatch(contacts: contacts))

        let clock = ContinuousClock()
        var lookup = Duration.zero
        var apply = Duration.zero
        var drain = Duration.zero
        // Records written: contacts, interactions, idempotency records, events, outbox messages
        // (packed into one row per batch since migration 4) and offsets.
        var rows = 0
        for number in 0..<batches {
            let batch = Self.batch(number: number, contacts: contacts, start: start)
            rows +=
                batch.contacts.count + batch.interactions.count + batch.processedCommands.count + batch.events.count
                + batch.outbox.count + batch.offsets.count
            lookup += try await clock.measure {
                _ = try await store.contacts(ids: contacts.map(\.id))
                _ = try await store.processedCommands(ids: batch.processedCommands.map(\.commandID))
            }
            apply += try await clock.measure { try await store.apply(batch) }
            drain += try await clock.measure {
                var pending = try await store.pendingOutbox(limit: 5_000)
                while !pending.isEmpty {
                    try await store.markPublished(sequences: pending.compactMap(\.sequence))
                    pending = try await store.pendingOutbox(limit: 5_000)
                }
            }
        }
        let commands = batches * batchSize
        func line(_ what: String, _ duration: Duration, extra: String = "") -> String {
            "  \(what.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%8d", BenchEndToEndCommand.rate(commands, duration))) commands/s"
                + "  (\(BenchCommand.milliseconds(duration / batches)) ms per batch)\(extra)"
        }
        say(
            """
            store on \(name): \(batches) batches x \(batchSize) AddInteraction outcomes (\(rows / batches) records per batch)
            \(line("lookups", lookup))
            \(line("apply", apply, extra: "  \(BenchEndToEndCommand.rate(rows, apply)) records/s"))
            \(line("outbox mark", drain))
            \(line("full cycle", lookup + apply + drain))
            """)
    }

    static func batch(number: Int, contacts: [Contact], start: Timestamp) -> StoreBatch {
        var batch = StoreBatch()
        let base = start.microsecondsSinceEpoch + Int64(number + 1) * 1_000_000
        for (index, var contact) in contacts.enumerated() {
            let time = Timestamp(microsecondsSinceEpoch: base + Int64(index))
            let commandID = UUID().uuidString.lowercased()
            let contactID = contact.id.uuidString.lowercased()
            let interaction = Interaction(
                id: UUID(), contactID: contact.id, type: .call,
                description: "Discussed the maintenance contract renewal and next quarter's schedule",
                timestamp: time, outcome: "positive", nextAction: "send quote", scheduledFollowUp: nil,
                performedBy: "Grace Hopper", performedByID: "user-42")
            contact.lastContacted = time
            contact.updatedAt = time
            let resultBody = Array(
                #"{"id":"\#(interaction.id.uuidString.lowercased())","contact_id":"\#(contactID)","type":"call","description":"\#(interaction.description)","timestamp":"\#(time.rfc3339)","outcome":"positive","next_action":"send quote","scheduled_follow_up":null,"performed_by":"Grace Hopper","performed_by_id":"user-42"}"#
                    .utf8)
            let eventID = UUID()
            let eventBody =
                Array(
                    #"{"specversion":"1.0","id":"\#(eventID.uuidString.lowercased())","source":"contact-worker","type":"InteractionRecorded","subject":"\#(contactID)","time":"\#(time.rfc3339)","datacontenttype":"application/json","businessid":"\#(contact.businessID)","commandid":"\#(commandID)","data":"#
                        .utf8) + resultBody + [UInt8(ascii: "}")]
            batch.contacts.append(contact)
            batch.interactions.append(interaction)
            batch.processedCommands.append(
                ProcessedCommand(
                    commandID: commandID, fingerprint: "sha256:" + String(repeating: "ab", count: 32),
                    businessID: contact.businessID, contactID: contactID, commandType: "AddInteraction",
                    resultStatus: 201,
                    resultBody: resultBody, processedAt: time))
            batch.events.append(
                StoredEvent(
                    id: eventID, contactID: contact.id, businessID: contact.businessID, commandID: commandID,
                    type: "InteractionRecorded", time: time, body: eventBody))
            batch.outbox.append(
                OutboxMessage(
                    topic: "contacts.events", key: Array(contactID.utf8), value: eventBody,
                    headers: [("content-type", Array("application/cloudevents+json".utf8))], contactID: contactID))
            batch.outbox.append(
                OutboxMessage(
                    topic: "contacts.results", key: Array(contactID.utf8), value: resultBody,
                    headers: [("correlation-id", Array(commandID.utf8))], contactID: contactID))
        }
        batch.offsets = (0..<6).map {
            ConsumerOffset(
                group: "contact-worker", topic: "contacts.commands", partition: Int32($0),
                nextOffset: Int64(number * 200),
                firstOffset: 0)
        }
        return batch
    }
}
