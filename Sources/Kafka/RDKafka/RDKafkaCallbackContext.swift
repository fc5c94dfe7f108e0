import CKafka
import Logging
import Synchronization

/// The Swift object librdkafka's client-level callbacks reach through the handle's opaque
/// (`rd_kafka_conf_set_opaque` + `Unmanaged`): logging, errors and, for consumers, rebalances.
///
/// Callbacks do as little as possible here and hand off to Swift; the object outlives the handle
/// because ``RDKafkaClient`` holds it until after `rd_kafka_destroy` returns.
final class RDKafkaCallbackContext: Sendable {
    /// Handles a rebalance event on the thread that polls the consumer.
    typealias RebalanceHandler =
        @Sendable (
            _ client: OpaquePointer, _ err: rd_kafka_resp_err_t,
            _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
        ) -> Void

    let logger: Logger
    let bootstrapServers: String
    private let errorContinuation: AsyncStream<KafkaError>.Continuation

    /// Publishes an error on the client's `errors` stream.
    func report(_ error: KafkaError) {
        errorContinuation.yield(error)
    }
    private let rebalanceHandler = Mutex<RebalanceHandler?>(nil)

    init(logger: Logger, bootstrapServers: String, errors: AsyncStream<KafkaError>.Continuation) {
        self.logger = logger
        self.bootstrapServers = bootstrapServers
        self.errorContinuation = errors
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaCallbackContext? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    func setRebalanceHandler(_ handler: RebalanceHandler?) {
        rebalanceHandler.withLock { $0 = handler }
    }

    func finishErrors() {
        errorContinuation.finish()
    }

    // MARK: - Callbacks

    func log(level: Int32, facility: String, message: String, client: String) {
        // librdkafka uses syslog levels: 0 emerg … 7 debug.
        let swiftLevel: Logger.Level
        switch level {
        case ...2: swiftLevel = .critical
        case 3: swiftLevel = .error
        case 4: swiftLevel = .warning
        case 5: swiftLevel = .notice
        case 6: swiftLevel = .info
        default: swiftLevel = .debug
        }
        logger.log(
            level: swiftLevel, "\(message)",
            metadata: ["rdkafka.facility": "\(facility)", "rdkafka.client": "\(client)"])
    }

    func error(client: OpaquePointer, err: rd_kafka_resp_err_t, reason: String) {
        let error: KafkaError
        switch KafkaErrorCode(err) {
        case .fatal:
            var buffer = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(client, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let code = KafkaErrorCode(underlying)
            error = .operationFailed(
                operation: "client",
                failure: KafkaFailure(
                    code: code, reason: text.isEmpty ? reason : text, isRetriable: false, isFatal: true))
            logger.critical("librdkafka fatal error: \(error)")
        case .transport, .allBrokersDown, .resolve:
            error = .brokerUnreachable(bootstrap: bootstrapServers, underlying: reason, code: KafkaErrorCode(err))
            logger.warning("\(error)")
        default:
            error = KafkaError.operation("client", err, reason: reason)
            logger.error("\(error)")
        }
        errorContinuation.yield(error)
    }

    func rebalance(
        client: OpaquePointer, err: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let handler = rebalanceHandler.withLock { $0 }
        if let handler {
            handler(client, err, partitions)
        } else {
            // No consumer logic attached (shutting down): accept librdkafka's decision as is.
            if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                rd_kafka_assign(client, partitions)
            } else {
                rd_kafka_assign(client, nil)
            }
        }
    }
}
