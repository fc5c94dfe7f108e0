import ArgumentParser
import ContactDomain
import ContactStore
import ContactWorker
import Foundation
import Kafka

/// `contact-worker republish`: re-emits stored events for downstream back-fill.
struct RepublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "republish",
        abstract: "Re-emit stored events in their original order with their original ids.",
        discussion: """
            Events are published to the events topic byte for byte as first published (same CloudEvent \
            id, same key), so consumers that deduplicate by id see nothing new. Examples:
              contact-worker republish --contact 550e8400-e29b-41d4-a716-446655440001
              contact-worker republish --since 2024-01-01T00:00:00Z --until 2024-02-01T00:00:00Z
            """
    )

    @Option(help: "Only this contact's events.")
    var contact: String?

    @Option(help: "Events at or after this time (RFC 3339).")
    var since: String?

    @Option(help: "Events before this time (RFC 3339).")
    var until: String?

    @Flag(name: .customLong("dry-run"), help: "Count the events that would be published without publishing them.")
    var dryRun = false

    @OptionGroup var settings: SettingsOptions

    func validate() throws {
        guard (contact == nil) != (since == nil) else {
            throw ValidationError("give either --contact ID or --since TIME (with an optional --until TIME)")
        }
        if until != nil && since == nil { throw ValidationError("--until needs --since") }
        if let contact, UUID(strictString: contact) == nil { throw ValidationError("--contact: \"\(contact)\" is not a UUID") }
        for (flag, value) in [("--since", since), ("--until", until)] {
            if let value, Timestamp(rfc3339: value) == nil { throw ValidationError("\(flag): \"\(value)\" is not an RFC 3339 time") }
        }
    }

    func run() async throws {
        let settings = try await settings.load()
        let store = try await makeContactStore(url: settings.databaseURL, logger: BenchCommand.logger)
        let events: [StoredEvent]
        do {
            if let contact, let id = UUID(strictString: contact) {
                events = try await store.events(contactID: id)
            } else if let since, let start = Timestamp(rfc3339: since) {
                events = try await store.events(since: start, until: until.flatMap { Timestamp(rfc3339: $0) })
            } else {
                events = []
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        guard !dryRun else {
            say("would republish \(events.count) events to \(settings.topics.events)")
            return
        }
        guard !events.isEmpty else {
            say("no stored events match; nothing published")
            return
        }

        var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
        for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka), logger: BenchCommand.logger)
        let progress = ProgressReporter(noun: "events republished")
        var failed = 0
        // In chunks, each awaited, so order per contact holds and memory stays bounded.
        for start in stride(from: 0, to: events.count, by: 1_000) {
            let chunk = events[start..<min(start + 1_000, events.count)].map { event in
                KafkaOutgoingMessage(
                    topic: settings.topics.events, key: Array(event.contactID.lowercasedString.utf8), value: event.body,
                    headers: [KafkaHeader(name: "content-type", string: ContactEvent.contentType)])
            }
            let reports = try await producer.send(batch: chunk)
            failed += reports.count { !$0.isDelivered }
            progress.advance(by: reports.count { $0.isDelivered })
        }
        progress.finish()
        await producer.shutdown()
        if failed > 0 { throw OperatorError("\(failed) of \(events.count) events were not delivered; run the same command again") }
    }
}
