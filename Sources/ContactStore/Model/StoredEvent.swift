import ContactDomain
import Foundation

/// A published domain event, kept permanently so operators can re-publish it (`contact-worker
/// republish`) for a contact or a time range.
///
/// The store keeps the encoded CloudEvent exactly as it was first published, so a re-published
/// event carries the same id and the same bytes.
public struct StoredEvent: Sendable, Hashable {
    /// The CloudEvent `id`, derived from the command and the event type.
    public var id: UUID
    /// The contact the event is about (the CloudEvent `subject` and the Kafka key).
    public var contactID: UUID
    /// The business the contact belongs to.
    public var businessID: String
    /// The command that caused the event.
    public var commandID: String
    /// The CloudEvent `type`: `ContactCreated`, `InteractionRecorded` or `StatusChanged`.
    public var type: String
    /// The CloudEvent `time`: the timestamp of the change.
    public var time: Timestamp
    /// The encoded CloudEvent (structured-mode JSON), byte for byte.
    public var body: [UInt8]

    /// Creates an event record.
    public init(
        id: UUID,
        contactID: UUID,
        businessID: String,
        commandID: String,
        type: String,
        time: Timestamp,
        body: [UInt8]
    ) {
        self.id = id
        self.contactID = contactID
        self.businessID = businessID
        self.commandID = commandID
        self.type = type
        self.time = time
        self.body = body
    }
}
