import CKafka

/// An error raised by the Kafka layer, carrying librdkafka's code and text where there is one.
///
/// Every case reads as something a person can act on: it names the broker list, the
/// configuration key, the topic or the operation that failed. ``isRetriable`` tells the worker
/// whether backing off and trying again makes sense; ``isFatal`` means the client instance is
/// unusable and must be recreated (e.g. the idempotent producer lost its guarantees).
public enum KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka rejected a configuration property; `reason` is librdkafka's explanation.
    case invalidConfiguration(key: String, value: String, reason: String)
    /// A broker of `bootstrap` could not be reached; `underlying` is the transport failure and
    /// `code` says which (`_TRANSPORT` for one connection, `_ALL_BROKERS_DOWN` when none is left,
    /// `_RESOLVE` for a name that does not resolve).
    case brokerUnreachable(bootstrap: String, underlying: String, code: KafkaErrorCode = .transport)
    /// A message could not be delivered to `topic` (e.g. `message.timeout.ms` expired).
    case deliveryFailed(topic: String, failure: KafkaFailure)
    /// A librdkafka call failed; `operation` names what the caller was doing.
    case operationFailed(operation: String, failure: KafkaFailure)
    /// The librdkafka client handle could not be created.
    case clientCreationFailed(reason: String)
    /// The client was already closed or shut down when `operation` was attempted.
    case closed(operation: String)

    /// librdkafka's error code, when the error came from librdkafka.
    public var code: KafkaErrorCode? {
        switch self {
        case .invalidConfiguration: return .invalidArgument
        case .brokerUnreachable(_, _, let code): return code
        case .deliveryFailed(_, let failure), .operationFailed(_, let failure): return failure.code
        case .clientCreationFailed: return nil
        case .closed: return .destroyed
        }
    }

    /// True when the client instance can no longer be used and must be recreated.
    public var isFatal: Bool {
        switch self {
        case .deliveryFailed(_, let failure), .operationFailed(_, let failure): return failure.isFatal
        case .invalidConfiguration, .brokerUnreachable, .clientCreationFailed, .closed: return false
        }
    }

    /// True when retrying the same operation later may succeed (transport, timeouts, leader
    /// changes, full queues…); false for programming or configuration errors.
    public var isRetriable: Bool {
        switch self {
        case .deliveryFailed(_, let failure), .operationFailed(_, let failure): return failure.isRetriable
        case .brokerUnreachable: return true
        case .invalidConfiguration, .clientCreationFailed, .closed: return false
        }
    }

    /// One line naming what failed, librdkafka's code and text, and whether a retry may help.
    public var description: String {
        switch self {
        case .invalidConfiguration(let key, let value, let reason):
            return "Kafka configuration \(key)=\"\(value)\" rejected: \(reason)"
        case .brokerUnreachable(let bootstrap, let underlying, _):
            return
                "Kafka brokers \(bootstrap) unreachable: \(underlying) (check bootstrap.servers and that the brokers are up)"
        case .deliveryFailed(let topic, let failure):
            return "Kafka delivery to topic '\(topic)' failed: \(failure)"
        case .operationFailed(let operation, let failure):
            return "Kafka \(operation) failed: \(failure)"
        case .clientCreationFailed(let reason):
            return "Kafka client could not be created: \(reason)"
        case .closed(let operation):
            return "Kafka \(operation) failed: the client is closed"
        }
    }

    // MARK: - Construction from librdkafka results

    /// An error for a plain `rd_kafka_resp_err_t`, classified with ``KafkaErrorCode/isRetriable``.
    static func operation(_ operation: String, _ err: rd_kafka_resp_err_t, reason: String? = nil) -> KafkaError {
        let code = KafkaErrorCode(err)
        return .operationFailed(operation: operation, failure: KafkaFailure(code: code, reason: reason ?? code.text))
    }

    /// An error for an `rd_kafka_error_t`, which carries librdkafka's own retriable/fatal verdict.
    /// Takes ownership of `error` and destroys it.
    static func consuming(_ error: OpaquePointer, operation: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let code = KafkaErrorCode(rd_kafka_error_code(error))
        let reason = rd_kafka_error_string(error).map { String(cString: $0) } ?? code.text
        let failure = KafkaFailure(
            code: code, reason: reason, isRetriable: rd_kafka_error_is_retriable(error) != 0 || code.isRetriable,
            isFatal: rd_kafka_error_is_fatal(error) != 0)
        return .operationFailed(operation: operation, failure: failure)
    }
}
