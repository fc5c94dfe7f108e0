import CKafka

/// librdkafka client properties shared by producers and consumers, as a plain value.
///
/// Typed conveniences cover what the worker sets itself; ``set(_:_:)`` passes any other
/// librdkafka property through unchanged (the worker maps `KAFKA_*` environment variables here).
/// Nothing is validated until a client is created: librdkafka's own checks then fail with
/// ``KafkaError/invalidConfiguration(key:value:reason:)`` naming the offending key.
public struct KafkaConfiguration: Sendable, Hashable {
    /// Every property as librdkafka will receive it.
    public private(set) var properties: [String: String]

    /// The property that turns off Nagle's algorithm on broker connections; the producer and
    /// consumer set it to `true` unless told otherwise. librdkafka 2.0.2 leaves Nagle on, so a
    /// request written while the previous one on the connection is unacknowledged waits for the
    /// broker's delayed ACK (docs/decisions/0005-nagle-off.md); the worker keeps several requests in flight, and
    /// its key-ordered publishing waits for each round trip. Kafka's Java client disables Nagle
    /// too, and librdkafka made this its default later (LRK-2, upstream #4986).
    public static let noDelayProperty = "socket.nagle.disable"

    /// A configuration that connects to `bootstrapServers` (`host:port[,host:port…]`).
    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = bootstrapServers
    }

    /// Sets any librdkafka property (see librdkafka's CONFIGURATION.md), replacing earlier values.
    public mutating func set(_ key: String, _ value: String) {
        properties[key] = value
    }

    /// Removes a property so librdkafka's default applies.
    public mutating func remove(_ key: String) {
        properties[key] = nil
    }

    /// The value set for `key`, if any.
    public subscript(key: String) -> String? {
        properties[key]
    }

    /// `bootstrap.servers`: the initial brokers, `host:port[,host:port…]`.
    public var bootstrapServers: String {
        get { properties["bootstrap.servers"] ?? "" }
        set { properties["bootstrap.servers"] = newValue }
    }

    /// `client.id`: the name brokers and logs show for this client.
    public var clientID: String? {
        get { properties["client.id"] }
        set { properties["client.id"] = newValue }
    }

    /// `debug`: comma-separated librdkafka debug contexts (e.g. `cgrp,topic,fetch`), logged at debug level.
    public var debugContexts: String? {
        get { properties["debug"] }
        set { properties["debug"] = newValue }
    }

    /// The first of `properties` (in key order) that librdkafka refuses, with its reason, or `nil`.
    ///
    /// Checks names and values the way a client's creation would, without creating one, so a
    /// service can reject a bad setting at start-up and name the setting the user wrote.
    public static func firstRejected(_ properties: [String: String]) -> (key: String, reason: String)? {
        guard let conf = rd_kafka_conf_new() else { return nil }
        defer { rd_kafka_conf_destroy(conf) }
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                let reason = errstr.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress.map { String(cString: $0) } ?? "rejected"
                }
                return (key, reason)
            }
        }
        return nil
    }

    /// Drops the properties in `keys` (those of the other kind of client).
    mutating func removeAll(_ keys: Set<String>) {
        properties = properties.filter { !keys.contains($0.key) }
    }

    /// Sets `key` only when the caller has not set it, so defaults never override the user.
    mutating func setDefault(_ key: String, _ value: String) {
        if properties[key] == nil { properties[key] = value }
    }
}
