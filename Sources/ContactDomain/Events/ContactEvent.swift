import Foundation

/// One domain event, published as a CloudEvents 1.0 structured-mode JSON message (docs/contract.md §7).
///
/// The `id` is a name-based UUID of the command id and the event type, and `time` is the
/// command's timestamp, so re-delivering or re-publishing an event yields the same bytes.
public struct ContactEvent: Sendable, Hashable {
    /// The Kafka `content-type` header value of event messages.
    public static let contentType = "application/cloudevents+json"
    /// The CloudEvents `datacontenttype` of `data`.
    public static let dataContentType = "application/json"
    /// The CloudEvents `source` unless configured otherwise.
    public static let defaultSource = "contact-worker"
    /// The CloudEvents spec version written.
    public static let specVersion = "1.0"

    /// CloudEvents `id`.
    public var id: UUID
    /// CloudEvents `type`.
    public var type: ContactEventType
    /// The contact (CloudEvents `subject`, and the Kafka key).
    public var contactID: UUID
    /// Extension attribute `businessid`.
    public var businessID: String
    /// Extension attribute `commandid`.
    public var commandID: UUID
    /// CloudEvents `time`: the timestamp of the change.
    public var time: Timestamp
    /// Extension attribute `contactversion`: the contact's ``Contact/version`` after the change.
    /// Consecutive events of a contact carry consecutive versions, starting at 1 with
    /// `ContactCreated`.
    public var contactVersion: Int
    /// The success body of the command (§6), decoded from ``dataBytes``.
    public var data: JSONValue {
        get {
            // The bytes are always one encoded value: the initializers encode them, or take them
            // already encoded from the rules (the command's result body).
            (try? JSONValue.parse(dataBytes)) ?? .null
        }
        set { encodedData = newValue.encoded() }
    }
    /// The compact encoding of ``data``: the same bytes as the command's ``CommandResult/bodyBytes``.
    public var dataBytes: [UInt8] { encodedData }
    /// Private, so that the memberwise initializer is too, and only the initializers below call it:
    /// there `encodedData` must be the compact encoding of one JSON value.
    private var encodedData: [UInt8]
}

// The initializers are an extension, so that the memberwise one is made too and builds the event in
// place (decision 0014).
extension ContactEvent {
    /// Creates an event.
    public init(
        id: UUID, type: ContactEventType, contactID: UUID, businessID: String, commandID: UUID, time: Timestamp,
        contactVersion: Int, data: JSONValue
    ) {
        self.init(
            id: id, type: type, contactID: contactID, businessID: businessID, commandID: commandID, time: time,
            contactVersion: contactVersion, encodedData: data.encoded())
    }

    /// The event of `type` for `envelope`, with its deterministic id, announcing that the contact
    /// reached `contactVersion`; `dataBytes` is the command's encoded success body.
    init(type: ContactEventType, envelope: CommandEnvelope, contactVersion: Int, dataBytes: [UInt8]) {
        self.init(
            id: DeterministicID.event(commandID: envelope.commandID, type: type), type: type,
            contactID: envelope.contactID, businessID: envelope.businessID, commandID: envelope.commandID,
            time: envelope.issuedAt, contactVersion: contactVersion, encodedData: dataBytes)
    }

    /// The event of `type` for `envelope`, with its deterministic id, announcing that the contact
    /// reached `contactVersion`.
    public init(type: ContactEventType, envelope: CommandEnvelope, contactVersion: Int, data: JSONValue) {
        self.init(type: type, envelope: envelope, contactVersion: contactVersion, dataBytes: data.encoded())
    }

    /// The structured-mode CloudEvent as a JSON value.
    public func cloudEvent(source: String = defaultSource) -> JSONValue {
        .object([
            "specversion": .string(Self.specVersion),
            "id": .string(id.lowercasedString),
            "source": .string(source),
            "type": .string(type.rawValue),
            "subject": .string(contactID.lowercasedString),
            "time": .string(time.rfc3339),
            "datacontenttype": .string(Self.dataContentType),
            "businessid": .string(businessID),
            "commandid": .string(commandID.lowercasedString),
            "contactversion": .integer(contactVersion),
            "data": data,
        ])
    }

    /// The message value bytes: ``cloudEvent(source:)`` encoded, written without building it, with
    /// ``dataBytes`` inserted as they are. Deterministic for the same event and source.
    public func encoded(source: String = defaultSource) -> [UInt8] {
        JSONObjectWriter.bytes { out in
            out.string("specversion", Self.specVersion)
            out.uuid("id", id)
            out.string("source", source)
            out.string("type", type.rawValue)
            out.uuid("subject", contactID)
            out.timestamp("time", time)
            out.string("datacontenttype", Self.dataContentType)
            out.string("businessid", businessID)
            out.uuid("commandid", commandID)
            out.integer("contactversion", contactVersion)
            out.encoded("data", dataBytes)
        }
    }
}
