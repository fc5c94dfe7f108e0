/// One Kafka record header. Names may repeat; a value may be null (distinct from empty).
public struct KafkaHeader: Hashable, Sendable {
    /// The header name, e.g. `authorization`.
    public var name: String
    /// The raw value bytes, or nil for a null header value.
    public var value: [UInt8]?

    /// A header with raw bytes (or nil for a null value).
    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is the UTF-8 encoding of `string`.
    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }

    /// The value decoded as UTF-8, or nil for a null value.
    public var stringValue: String? {
        value.map { String(decoding: $0, as: UTF8.self) }
    }
}
