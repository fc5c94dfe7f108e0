/// The Kafka headers a command message carries that matter to processing (docs/contract.md §3).
public struct CommandHeaders: Sendable, Hashable {
    /// The header carrying `Bearer <JWT>`.
    public static let authorizationKey = "authorization"
    /// The header whose value is echoed in the result.
    public static let correlationIDKey = "correlation-id"

    /// The `authorization` header value, if present and UTF-8.
    public var authorization: String?
    /// The `correlation-id` header value, if present and UTF-8.
    public var correlationID: String?

    /// Creates headers from already-extracted values.
    public init(authorization: String? = nil, correlationID: String? = nil) {
        self.authorization = authorization
        self.correlationID = correlationID
    }

    /// Picks the two headers out of a Kafka message's headers: names compare case-insensitively,
    /// the last occurrence wins, and a value that is missing or not UTF-8 counts as absent.
    public init(kafkaHeaders: [(key: String, value: [UInt8]?)]) {
        func value(_ name: String) -> String? {
            // An exact match (the usual lower-case name) needs no lower-casing.
            guard let header = kafkaHeaders.last(where: { $0.key == name || $0.key.lowercased() == name }),
                let bytes = header.value
            else { return nil }
            return String(validating: bytes, as: UTF8.self)
        }
        self.init(authorization: value(Self.authorizationKey), correlationID: value(Self.correlationIDKey))
    }
}
