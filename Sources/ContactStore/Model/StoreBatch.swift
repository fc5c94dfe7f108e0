import ContactDomain
import Foundation

/// Everything one batch of commands produced, written by ``ContactStore/apply(_:)`` in a single
/// transaction: either all of it becomes durable or none of it does.
///
/// That one transaction is what makes the worker exactly-once about state: the state changes, the
/// idempotency records, the messages to publish and the consumer offsets move together.
public struct StoreBatch: Sendable {
    /// Upserts: the final state of each contact the batch touched (one entry per contact id; if an
    /// id appears more than once, the last entry wins).
    public var contacts: [Contact]
    /// Inserts; interactions are append-only, a duplicate id fails the whole batch.
    public var interactions: [Interaction]
    /// Inserts; status history is append-only, a duplicate id fails the whole batch.
    public var statusHistory: [StatusHistoryEntry]
    /// Inserts of idempotency records; a duplicate `commandID` fails the whole batch.
    public var processedCommands: [ProcessedCommand]
    /// Inserts into the permanent event log, in publication order.
    public var events: [StoredEvent]
    /// Messages to publish, in order; the store numbers them in this order.
    public var outbox: [OutboxMessage]
    /// Sequences of earlier outbox messages that Kafka has acknowledged since: deleted in this
    /// transaction, as ``ContactStore/markPublished(sequences:)`` would, without a transaction of
    /// their own (unknown sequences are ignored).
    public var published: [Int64]
    /// The next offset per partition. A stored offset only moves forward: an offset lower than
    /// the stored one is ignored, so a batch finished late (by a worker that has since lost the
    /// partition) cannot rewind where the next owner resumes.
    public var offsets: [ConsumerOffset]

    /// Creates a batch; every part defaults to empty.
    public init(
        contacts: [Contact] = [],
        interactions: [Interaction] = [],
        statusHistory: [StatusHistoryEntry] = [],
        processedCommands: [ProcessedCommand] = [],
        events: [StoredEvent] = [],
        outbox: [OutboxMessage] = [],
        published: [Int64] = [],
        offsets: [ConsumerOffset] = []
    ) {
        self.contacts = contacts
        self.interactions = interactions
        self.statusHistory = statusHistory
        self.processedCommands = processedCommands
        self.events = events
        self.outbox = outbox
        self.published = published
        self.offsets = offsets
    }

    /// Whether the batch writes nothing at all.
    public var isEmpty: Bool {
        contacts.isEmpty && interactions.isEmpty && statusHistory.isEmpty && processedCommands.isEmpty
            && events.isEmpty && outbox.isEmpty && published.isEmpty && offsets.isEmpty
    }

    /// The contacts with duplicates removed, keeping the last state of each id in first-seen order.
    var uniqueContacts: [Contact] {
        var indexByID: [UUID: Int] = [:]
        var result: [Contact] = []
        result.reserveCapacity(contacts.count)
        for contact in contacts {
            if let index = indexByID[contact.id] {
                result[index] = contact
            } else {
                indexByID[contact.id] = result.count
                result.append(contact)
            }
        }
        return result
    }
}
