/// A record to produce with ``KafkaProducer/send(_:)``.
public struct KafkaOutgoingMessage: Hashable, Sendable {
    /// The destination topic.
    public var topic: String
    /// An explicit partition, or nil to let the partitioner hash the key.
    public var partition: Int32?
    /// The record key (per-contact ordering comes from keying by contact id).
    public var key: [UInt8]?
    /// The record value.
    public var value: [UInt8]
    /// Headers, sent in this order.
    public var headers: [KafkaHeader]
    /// The create time in milliseconds since the epoch, or nil for "now".
    public var timestampMilliseconds: Int64?

    /// A record for `topic` with the given key, value and headers.
    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// A record whose key and value are UTF-8 strings.
    public init(
        topic: String, partition: Int32? = nil, key: String?, value: String,
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil
    ) {
        self.init(
            topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: Array(value.utf8),
            headers: headers, timestampMilliseconds: timestampMilliseconds
        )
    }
}
