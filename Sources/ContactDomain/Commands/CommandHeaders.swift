/// The Kafka headers a command message carries that matter to processing (docs/contract.md §3).
///
/// The worker reads each from the message's last header of that name in any letter case, and a
/// value that is not UTF-8 counts as absent (docs/contract.md §3.1).
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
}
