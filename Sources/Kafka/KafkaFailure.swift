/// What librdkafka said about a failed delivery or call: its code and text, and whether a retry
/// may help. Tests and callers match on ``code``; the text is for people.
public struct KafkaFailure: Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's error code.
    public var code: KafkaErrorCode
    /// librdkafka's text, or a more specific explanation.
    public var reason: String
    /// Retrying the same operation later may succeed.
    public var isRetriable: Bool
    /// The client instance can no longer be used and must be recreated.
    public var isFatal: Bool

    /// A failure with `code`, classified by ``KafkaErrorCode/isRetriable`` and as fatal only for
    /// ``KafkaErrorCode/fatal`` unless told otherwise.
    public init(code: KafkaErrorCode, reason: String? = nil, isRetriable: Bool? = nil, isFatal: Bool? = nil) {
        self.code = code
        self.reason = reason ?? code.text
        self.isRetriable = isRetriable ?? code.isRetriable
        self.isFatal = isFatal ?? (code == .fatal)
    }

    /// `NAME (number): reason`, then whether a retry may help.
    public var description: String {
        let verdict = isFatal ? " [fatal: recreate the client]" : isRetriable ? " [retriable]" : ""
        return "\(code.name) (\(code.rawValue)): \(reason)\(verdict)"
    }
}
