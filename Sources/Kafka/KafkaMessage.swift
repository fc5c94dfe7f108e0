/// A record read from Kafka, with its bytes copied out of librdkafka once.
///
/// Plain value: safe to keep, send across tasks and compare in tests.
public struct KafkaMessage: Hashable, Sendable {
    /// The topic the record was read from.
    public var topic: String
    /// The partition the record was read from.
    public var partition: Int32
    /// The record's offset in its partition; commit `offset + 1` once processed.
    public var offset: Int64
    /// The record key (the worker keys by contact id), or nil when the record has none.
    public var key: [UInt8]?
    /// The record value (empty for a null value).
    public var value: [UInt8]
    /// The record headers, in wire order.
    public var headers: [KafkaHeader]
    /// The record timestamp, when the broker reported one.
    public var timestamp: KafkaTimestamp?

    /// A message value, for tests and tools that fabricate records.
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader] = [], timestamp: KafkaTimestamp? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The partition the record came from.
    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// The first header called `name`, if any (e.g. `authorization`).
    public func header(named name: String) -> KafkaHeader? {
        headers.first { $0.name == name }
    }

    /// The last header called `name`, if any: the one a processor appended after the headers
    /// the record already carried (a dead letter's `x-error-reason` behind a stale copy, say).
    public func lastHeader(named name: String) -> KafkaHeader? {
        headers.last { $0.name == name }
    }
}
