/// A record read from Kafka, with its bytes copied out of librdkafka once.
///
/// Plain value: safe to keep, send across tasks and compare in tests. The key, value and header
/// bytes of the records one poll read share one buffer, and a message refers to its record with
/// a single reference, so copying a message costs one retain. ``key``, ``value`` and ``headers``
/// return copies of those bytes; ``keyBytes``, ``valueBytes``, ``header(named:)``,
/// ``lastHeader(named:)`` and ``byteCount`` read them in place. A message kept alive keeps the bytes
/// of its whole batch alive.
public struct KafkaMessage: Hashable, Sendable {
    private var storage: KafkaMessageStorage
    private var index: Int
    /// The partition the record was read from.
    public var partition: Int32
    /// The record's offset in its partition; commit `offset + 1` once processed.
    public var offset: Int64
    /// The record timestamp, when the broker reported one.
    public var timestamp: KafkaTimestamp?

    /// A message value, for tests and tools that fabricate records.
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader] = [], timestamp: KafkaTimestamp? = nil
    ) {
        self.init(
            storage: KafkaMessageStorage(topic: topic, key: key, value: value, headers: headers), index: 0,
            partition: partition, offset: offset, timestamp: timestamp)
    }

    /// Record `index` of `storage`.
    init(storage: KafkaMessageStorage, index: Int, partition: Int32, offset: Int64, timestamp: KafkaTimestamp?) {
        self.storage = storage
        self.index = index
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }

    private var record: KafkaMessageStorage.Record { storage.records[index] }

    /// The topic the record was read from.
    public var topic: String {
        get { storage.topics[record.topic] }
        set { replace(topic: newValue) }
    }

    /// The record key (the worker keys by contact id), or nil when the record has none; a copy.
    public var key: [UInt8]? {
        get { storage.key(index).map(Array.init) }
        set { replace(key: .some(newValue)) }
    }

    /// ``key`` read in place: a slice of the poll's shared buffer, so it costs a retain, not a copy.
    /// Its indices are the buffer's: read it from `startIndex`, never from 0.
    public var keyBytes: ArraySlice<UInt8>? { storage.key(index) }

    /// The record value (empty for a null value); a copy.
    public var value: [UInt8] {
        get { Array(storage.value(index)) }
        set { replace(value: newValue) }
    }

    /// ``value`` read in place: a slice of the poll's shared buffer, so it costs a retain, not a copy.
    /// Its indices are the buffer's: read it from `startIndex`, never from 0.
    public var valueBytes: ArraySlice<UInt8> { storage.value(index) }

    /// The record headers, in wire order; copies.
    public var headers: [KafkaHeader] {
        get { record.headers.map(storage.header) }
        set { replace(headers: newValue) }
    }

    /// The number of key, value and header bytes (names included) the record carries.
    public var byteCount: Int { record.bytes.count }

    /// The partition the record came from.
    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// Whether both messages come from the same partition; cheap for messages of one poll.
    func isOfSamePartition(as other: KafkaMessage) -> Bool {
        guard partition == other.partition else { return false }
        if storage === other.storage { return record.topic == other.record.topic }
        return topic == other.topic
    }

    /// The first header called `name`, if any (e.g. `authorization`).
    public func header(named name: String) -> KafkaHeader? {
        record.headers.first { storage.header($0, isNamed: name) }.map(storage.header)
    }

    /// The last header called `name`, if any: the one a processor appended after the headers
    /// the record already carried (a dead letter's `x-error-reason` behind a stale copy, say).
    public func lastHeader(named name: String) -> KafkaHeader? {
        record.headers.last { storage.header($0, isNamed: name) }.map(storage.header)
    }

    /// The value of the last header whose name is `name` in any ASCII letter case, decoded as
    /// UTF-8; nil when there is no such header, or the last one's value is null or not UTF-8.
    ///
    /// Reads the names and the value in place: only the returned string is allocated, whatever
    /// other headers the record carries.
    public func lastHeaderString(anyCaseNamed name: String) -> String? {
        guard let position = record.headers.last(where: { storage.header($0, isNamedIgnoringCase: name) }) else {
            return nil
        }
        return storage.headerString(position)
    }

    /// Changing a part builds storage for this message alone; other copies keep their bytes.
    private mutating func replace(
        topic: String? = nil, key: [UInt8]?? = nil, value: [UInt8]? = nil, headers: [KafkaHeader]? = nil
    ) {
        storage = KafkaMessageStorage(
            topic: topic ?? self.topic, key: key ?? self.key, value: value ?? self.value,
            headers: headers ?? self.headers)
        index = 0
    }

    /// Equal when every field and every byte is; where the bytes are stored does not matter.
    public static func == (lhs: KafkaMessage, rhs: KafkaMessage) -> Bool {
        guard lhs.partition == rhs.partition, lhs.offset == rhs.offset, lhs.timestamp == rhs.timestamp,
            lhs.topic == rhs.topic, lhs.storage.value(lhs.index) == rhs.storage.value(rhs.index),
            lhs.storage.key(lhs.index) == rhs.storage.key(rhs.index)
        else { return false }
        return lhs.headers == rhs.headers
    }

    /// Hashes what ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(partition)
        hasher.combine(offset)
        hasher.combine(timestamp)
        hasher.combine(storage.key(index))
        hasher.combine(storage.value(index))
        hasher.combine(headers)
    }
}
