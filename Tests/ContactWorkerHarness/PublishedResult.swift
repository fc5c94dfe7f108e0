import ContactDomain
import Kafka

/// A result message, parsed.
public struct PublishedResult: Sendable {
    public let message: KafkaMessage
    public let json: JSONValue

    public init(_ message: KafkaMessage) throws {
        self.message = message
        self.json = try JSONValue.parse(message.value)
    }

    public var commandID: String? { json["command_id"]?.stringValue }
    public var status: Int? { json["status"]?.intValue }
    public var body: JSONValue? { json["body"] }
    public var duplicate: Bool? { json["duplicate"]?.boolValue }
}

/// Parses JSON text written in a test into a comparable value (member order ignored).
public func json(_ text: String) throws -> JSONValue {
    try JSONValue.parse(Array(text.utf8)).canonicalized
}

extension KafkaMessage {
    public func header(_ name: String) -> String? {
        headers.last(where: { $0.name == name })?.stringValue
    }
}
