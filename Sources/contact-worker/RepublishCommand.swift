import ArgumentParser
import ContactDomain
import ContactStore
import ContactWorker
import Foundation
import Kafka
import Synchronization

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
        if let contact, UUID(strictString: contact) == nil {
            throw ValidationError("--contact: \"\(contact)\" is not a UUID")
        }
        for (flag, value) in [("--since", since), ("--until", until)] {
            if let value, Timestamp(rfc3339: value) == nil {
                throw ValidationError("\(flag): \"\(value)\" is not an RFC 3339 time")
            }
        }
    }

    func run() async throws {
        let settings = try await settings.load()
        let selection: EventSelection
        if let contact, let id = UUID(strictString: contact) {
            selection = .contact(id)
        } else if let since, let start = Timestamp(rfc3339: since) {
            selection = .time(since: start, until: until.flatMap { Timestamp(rfc3339: $0) })
        } else {
            return
        }
        try settings.databaseURL.requireExistingSQLiteFile()
        let store = try await makeContactStore(url: settings.databaseURL, logger: BenchCommand.logger)
        let counts = Mutex((matched: 0, delivered: 0))
        do {
            if dryRun {
                try await store.forEachEventPage(selection, pageSize: 1_000) { page in
                    counts.withLock { $0.matched += page.count }
                }
                await store.close()
                say("would republish \(counts.withLock { $0.matched }) events to \(settings.topics.events)")
                return
            }
            var kafka = KafkaConfiguration(bootstrapServers: settings.kafkaBrokers)
            for (key, value) in settings.kafkaProperties { kafka.set(key, value) }
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(kafka), logger: BenchCommand.logger)
            let progress = ProgressReporter(noun: "events republished")
            let topic = settings.topics.events
            // Page by page, each awaited before the next is read: order per contact holds and
            // memory stays bounded however many events match.
            do {
                try await store.forEachEventPage(selection, pageSize: 1_000) { page in
                    let messages = page.map { event in
                        KafkaOutgoingMessage(
                            topic: topic, key: Array(event.contactID.lowercasedString.utf8), value: event.body,
                            headers: [KafkaHeader(name: "content-type", string: ContactEvent.contentType)])
                    }
                    let reports = try await producer.send(batch: messages)
                    let delivered = reports.count { $0.isDelivered }
                    counts.withLock {
                        $0.matched += page.count
                        $0.delivered += delivered
                    }
                    progress.advance(by: delivered)
                }
            } catch {
                await producer.shutdown()
                throw error
            }
            progress.finish()
            await producer.shutdown()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        let (matched, delivered) = counts.withLock { ($0.matched, $0.delivered) }
        if matched == 0 {
            say("no stored events match; nothing published")
        } else if delivered < matched {
            throw OperatorError(
                "\(matched - delivered) of \(matched) events were not delivered; run the same command again")
        }
    }
}
