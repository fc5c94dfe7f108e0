import CKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`), either a Kafka protocol error (positive) or a
/// client-side condition (negative, e.g. `-195` transport failure).
///
/// Callers match on the named constants instead of magic numbers, and hand codes to
/// ``MockCluster/pushRequestErrors(apiKey:errors:)`` for fault injection.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric `rd_kafka_resp_err_t` value.
    public let rawValue: Int32

    /// Wraps a numeric `rd_kafka_resp_err_t` value.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    init(_ err: rd_kafka_resp_err_t) {
        self.rawValue = err.rawValue
    }

    var rdKafka: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

    /// librdkafka's human-readable text for the code (`rd_kafka_err2str`).
    public var text: String { String(cString: rd_kafka_err2str(rdKafka)) }

    /// librdkafka's symbolic name for the code (`rd_kafka_err2name`), e.g. `_TRANSPORT`.
    public var name: String { String(cString: rd_kafka_err2name(rdKafka)) }

    /// `NAME (code): text`, enough to look the code up in librdkafka's documentation.
    public var description: String { "\(name) (\(rawValue)): \(text)" }

    // MARK: - Client-side (negative) codes

    /// No error.
    public static let noError = KafkaErrorCode(RD_KAFKA_RESP_ERR_NO_ERROR)
    /// Local: the connection to a broker failed or broke.
    public static let transport = KafkaErrorCode(RD_KAFKA_RESP_ERR__TRANSPORT)
    /// Local: every broker connection is down.
    public static let allBrokersDown = KafkaErrorCode(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    /// Local: a broker host name could not be resolved.
    public static let resolve = KafkaErrorCode(RD_KAFKA_RESP_ERR__RESOLVE)
    /// Local: a message was not delivered within `message.timeout.ms`.
    public static let messageTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    /// Local: an operation timed out.
    public static let timedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT)
    /// Local: the producer queue is full (`queue.buffering.max.messages`).
    public static let queueFull = KafkaErrorCode(RD_KAFKA_RESP_ERR__QUEUE_FULL)
    /// Local: there was no stored offset to commit.
    public static let noOffset = KafkaErrorCode(RD_KAFKA_RESP_ERR__NO_OFFSET)
    /// Local: the partition reached its end (only with `enable.partition.eof`).
    public static let partitionEOF = KafkaErrorCode(RD_KAFKA_RESP_ERR__PARTITION_EOF)
    /// Local: the fetch offset was out of range and `auto.offset.reset=error` forbids a reset.
    public static let autoOffsetReset = KafkaErrorCode(RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
    /// Local: a fatal error was raised; the client instance is unusable.
    public static let fatal = KafkaErrorCode(RD_KAFKA_RESP_ERR__FATAL)
    /// Local: the operation is not valid in the current state (e.g. partition not assigned).
    public static let state = KafkaErrorCode(RD_KAFKA_RESP_ERR__STATE)
    /// Local: an invalid argument was passed.
    public static let invalidArgument = KafkaErrorCode(RD_KAFKA_RESP_ERR__INVALID_ARG)
    /// Local: unknown topic.
    public static let unknownTopicLocal = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
    /// Local: unknown partition.
    public static let unknownPartitionLocal = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
    /// Local: the client is being destroyed.
    public static let destroyed = KafkaErrorCode(RD_KAFKA_RESP_ERR__DESTROY)

    // MARK: - Broker (protocol) codes

    /// Broker: the topic or partition does not exist.
    public static let unknownTopicOrPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    /// Broker: the partition has no leader right now (retriable).
    public static let leaderNotAvailable = KafkaErrorCode(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
    /// Broker: this broker is not the partition leader (retriable).
    public static let notLeaderForPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    /// Broker: the request timed out (retriable).
    public static let requestTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
    /// Broker: the broker is not available (retriable).
    public static let brokerNotAvailable = KafkaErrorCode(RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE)
    /// Broker: not enough in-sync replicas (retriable).
    public static let notEnoughReplicas = KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
    /// Broker: the group coordinator is not available (retriable).
    public static let coordinatorNotAvailable = KafkaErrorCode(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
    /// Broker: this broker is not the group coordinator (retriable).
    public static let notCoordinator = KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
    /// Broker: the group is rebalancing.
    public static let rebalanceInProgress = KafkaErrorCode(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    /// Broker: the group generation is outdated.
    public static let illegalGeneration = KafkaErrorCode(RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION)
    /// Broker: the member id is not known to the group coordinator.
    public static let unknownMemberID = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
    /// Broker: the message is larger than the broker accepts.
    public static let messageSizeTooLarge = KafkaErrorCode(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    /// Broker: topic authorization failed.
    public static let topicAuthorizationFailed = KafkaErrorCode(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)

    /// Whether retrying the same operation later may succeed, for codes that come without an
    /// `rd_kafka_error_t` (which would carry librdkafka's own verdict).
    public var isRetriable: Bool {
        Self.retriableCodes.contains(self)
    }

    private static let retriableCodes: Set<KafkaErrorCode> = [
        .transport, .allBrokersDown, .resolve, .messageTimedOut, .timedOut, .queueFull,
        .leaderNotAvailable, .notLeaderForPartition, .requestTimedOut, .brokerNotAvailable,
        .notEnoughReplicas, .coordinatorNotAvailable, .notCoordinator, .rebalanceInProgress,
        KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION),
        KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE),
        KafkaErrorCode(RD_KAFKA_RESP_ERR__WAIT_COORD),
        KafkaErrorCode(RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED),
    ]
}
