import CKafka
import Foundation
import Logging
import Synchronization

/// Owns one `rd_kafka_t` handle: builds its `rd_kafka_conf_t` from properties (turning rejected
/// properties into ``KafkaError/invalidConfiguration(key:value:reason:)``), installs the log and
/// error callbacks, and destroys the handle exactly once.
///
/// The handle pointer never leaves the `Kafka` module. librdkafka handles are thread-safe, hence
/// `@unchecked Sendable`; the destroyed flag is atomic.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer, consumer
    }

    let handle: OpaquePointer
    let context: RDKafkaCallbackContext
    private let destroyed = Atomic<Bool>(false)
    /// Calls inside ``using(_:)`` right now; ``destroy()`` waits for them.
    private let users = Atomic<Int>(0)
    /// Topic handles made by ``topic(_:)``, by name; destroyed before the client.
    private let topics = Mutex<[String: OpaquePointer]>([:])
    /// Destroy without librdkafka's own consumer close (it was given up on: see
    /// `RDKafkaConsumerEngine.closeWithinBound`, LRK-10).
    private let skipsConsumerCloseFlag = Atomic<Bool>(false)

    /// Creates the handle. `configure` may install further callbacks (delivery reports,
    /// rebalances) on the configuration before the handle takes ownership of it.
    init(
        kind: Kind, properties: [String: String], context: RDKafkaCallbackContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else {
            throw .clientCreationFailed(reason: "rd_kafka_conf_new returned NULL")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        // Deterministic order, so the first bad key reported is stable.
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw .invalidConfiguration(key: key, value: value, reason: Self.string(errstr))
            }
        }
        // Logs arrive on librdkafka's own threads and go straight to swift-log.
        rd_kafka_conf_set(conf, "log.queue", "false", &errstr, errstr.count)
        rd_kafka_conf_set_opaque(conf, context.opaque)
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buffer in
            guard let rk, let context = RDKafkaCallbackContext.from(rd_kafka_opaque(rk)) else { return }
            context.log(
                level: level,
                facility: facility.map { String(cString: $0) } ?? "",
                message: buffer.map { String(cString: $0) } ?? "",
                client: String(cString: rd_kafka_name(rk))
            )
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let rk, let context = RDKafkaCallbackContext.from(opaque) else { return }
            context.error(
                client: rk, err: rd_kafka_resp_err_t(rawValue: err), reason: reason.map { String(cString: $0) } ?? "")
        }
        configure(conf)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // On failure rd_kafka_new leaves the configuration to the caller.
            rd_kafka_conf_destroy(conf)
            let reason = Self.string(errstr)
            if let key = properties.keys.sorted().first(where: { reason.contains($0) }), let value = properties[key] {
                throw .invalidConfiguration(key: key, value: value, reason: reason)
            }
            throw .clientCreationFailed(reason: reason)
        }
        self.handle = handle
        self.context = context
    }

    var isDestroyed: Bool { destroyed.load(ordering: .acquiring) }

    /// Runs a quick, non-blocking librdkafka call with the handle, or returns `nil` when the
    /// handle is destroyed; ``destroy()`` waits until such calls have returned, so a call from
    /// another thread racing a close never touches a freed handle.
    func using<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T? {
        // Sequentially consistent on both sides (a Dekker-style handshake with destroy()): either
        // this call sees the handle destroyed, or destroy() sees this call and waits for it.
        users.add(1, ordering: .sequentiallyConsistent)
        defer { users.subtract(1, ordering: .sequentiallyConsistent) }
        guard !destroyed.load(ordering: .sequentiallyConsistent) else { return nil }
        return try body(handle)
    }

    /// The client's handle of topic `name`, made on first use and kept until ``destroy()``, or nil
    /// when the client is destroyed or librdkafka refuses the name (producing by name then
    /// reports why). Records produced with it skip librdkafka's lookup of the name, which holds
    /// the client's write lock.
    func topic(_ name: String) -> OpaquePointer? {
        topics.withLock { topics in
            if let known = topics[name] { return known }
            guard !isDestroyed, let made = rd_kafka_topic_new(handle, name, nil) else { return nil }
            topics[name] = made
            return made
        }
    }

    /// The low (oldest) and high (next to be written) offsets of a partition, asked of its leader
    /// (blocking: call on the client's blocking queue, where ``destroy()`` runs too, so the two
    /// never overlap).
    func watermarks(topic: String, partition: Int32, timeoutMilliseconds: Int32) -> Result<Watermarks, KafkaError> {
        guard !isDestroyed else { return .failure(.closed(operation: "watermarks")) }
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(.operation("query watermarks of \(topic)[\(partition)]", err))
        }
        return .success((low, high))
    }

    /// A partition's low and high watermarks.
    typealias Watermarks = (low: Int64, high: Int64)

    /// Destroys the handle (blocking: call off the cooperative pool). Safe to call twice.
    func destroy() {
        guard !destroyed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // A quick call that saw the handle alive may still be using it.
        while users.load(ordering: .sequentiallyConsistent) > 0 { usleep(100) }
        // The application's topic references go first; queued records hold their own.
        topics.withLock { topics in
            for made in topics.values { rd_kafka_topic_destroy(made) }
            topics = [:]
        }
        rd_kafka_destroy_flags(handle, skipsConsumerClose ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE : 0)
        context.setRebalanceHandler(nil)
        context.finishErrors()
    }

    /// Makes ``destroy()`` skip the consumer close librdkafka would otherwise wait for again.
    func skipConsumerCloseOnDestroy() {
        skipsConsumerCloseFlag.store(true, ordering: .releasing)
    }

    /// Whether the consumer close was given up on (see ``skipConsumerCloseOnDestroy()``).
    var skipsConsumerClose: Bool { skipsConsumerCloseFlag.load(ordering: .acquiring) }

    deinit {
        destroy()
    }

    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
