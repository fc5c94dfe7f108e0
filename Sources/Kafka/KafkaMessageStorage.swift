/// The bytes of the records one poll read (or of one record built in memory): keys, values,
/// header names and header values of all of them in one byte array, and per record where its
/// parts lie. Immutable once built, so ``KafkaMessage`` values share it across tasks.
///
/// One allocation holds the bytes of a whole batch, so reading a batch costs a few allocations
/// instead of several per record, and a ``KafkaMessage`` refers to its record with one reference:
/// copying or dropping a message is one retain or release. A message kept alive keeps the bytes
/// of its whole batch alive. A consumer's storages hand their arrays to its ``Recycler`` when the
/// last message of their batch is gone, for the next poll to fill.
final class KafkaMessageStorage: Sendable {
    /// Where one record's parts lie in ``bytes``.
    struct Record {
        /// Index into ``KafkaMessageStorage/topics``.
        var topic: Int
        /// The key's bytes, or nil for a record without a key.
        var key: Range<Int>?
        var value: Range<Int>
        /// Indexes into ``KafkaMessageStorage/headers``, in wire order.
        var headers: Range<Int>
        /// All of the record's bytes: key, value, header names and header values.
        var bytes: Range<Int>
    }

    /// Where one header's name and value lie in ``bytes``.
    struct Header {
        var name: Range<Int>
        /// Nil for a null header value (distinct from an empty one).
        var value: Range<Int>?
    }

    let bytes: [UInt8]
    let records: [Record]
    let headers: [Header]
    let topics: [String]
    private let recycler: Recycler?

    init(_ builder: Builder, recycler: Recycler? = nil) {
        bytes = builder.bytes
        records = builder.records
        headers = builder.headers
        topics = builder.topics
        self.recycler = recycler
    }

    deinit {
        recycler?.recycle(Recycler.Arrays(bytes: bytes, records: records))
    }

    /// The storage of a single record, for messages built in memory.
    convenience init(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader]) {
        var builder = Builder()
        builder.beginRecord(topic: topic, key: key, value: value)
        for header in headers { builder.appendHeader(name: Array(header.name.utf8), value: header.value) }
        builder.endRecord()
        self.init(builder)
    }

    func key(_ index: Int) -> ArraySlice<UInt8>? {
        records[index].key.map { bytes[$0] }
    }

    func value(_ index: Int) -> ArraySlice<UInt8> {
        bytes[records[index].value]
    }

    func header(_ position: Int) -> KafkaHeader {
        let header = headers[position]
        return KafkaHeader(
            name: String(decoding: bytes[header.name], as: UTF8.self), value: header.value.map { Array(bytes[$0]) })
    }

    /// Whether the name of header `position` is exactly `name`, compared as UTF-8 bytes.
    func header(_ position: Int, isNamed name: String) -> Bool {
        let range = headers[position].name
        var name = name
        return name.withUTF8 { utf8 in
            bytes.withUnsafeBufferPointer { all in
                utf8.count == range.count && utf8.elementsEqual(UnsafeBufferPointer(rebasing: all[range]))
            }
        }
    }

    /// Whether the name of header `position` is `name` in any ASCII letter case, compared as
    /// UTF-8 bytes (other bytes must be equal).
    func header(_ position: Int, isNamedIgnoringCase name: String) -> Bool {
        let range = headers[position].name
        var name = name
        return name.withUTF8 { utf8 in
            guard utf8.count == range.count else { return false }
            return bytes.withUnsafeBufferPointer { all in
                zip(utf8, UnsafeBufferPointer(rebasing: all[range])).allSatisfy {
                    Self.asciiLowercased($0) == Self.asciiLowercased($1)
                }
            }
        }
    }

    /// The value of header `position` decoded as UTF-8; nil for a null value or one that is not UTF-8.
    func headerString(_ position: Int) -> String? {
        guard let range = headers[position].value else { return nil }
        return bytes.withUnsafeBufferPointer { all in
            String(validating: UnsafeBufferPointer(rebasing: all[range]), as: UTF8.self)
        }
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Accumulates records; ``KafkaMessageStorage/init(_:recycler:)`` then takes them over.
    struct Builder {
        var bytes: [UInt8] = []
        var records: [Record] = []
        var headers: [Header] = []
        var topics: [String] = []
        private var recordStart = 0
        private var headerStart = 0
        private var key: Range<Int>?
        private var value = 0..<0
        private var topic = 0

        /// An empty builder with room for `records` records of `bytes` bytes in all, in the
        /// arrays of `reused` when given (a ``Recycler``'s).
        init(reservingRecords records: Int, bytes: Int, reusing reused: consuming Recycler.Arrays?) {
            // Moved, not copied: the arrays stay uniquely referenced, so emptying them keeps
            // their memory.
            if var arrays = reused.take() {
                swap(&self.bytes, &arrays.bytes)
                swap(&self.records, &arrays.records)
                self.bytes.removeAll(keepingCapacity: true)
                self.records.removeAll(keepingCapacity: true)
            }
            self.records.reserveCapacity(records)
            self.bytes.reserveCapacity(bytes)
        }

        init() {}

        /// Starts a record of `topic` (compared to the previous record's by identity first, so a
        /// poll's interned topic names cost no string comparison).
        mutating func beginRecord(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) {
            if let last = topics.last, last == topic {
                self.topic = topics.count - 1
            } else if let known = topics.firstIndex(of: topic) {
                self.topic = known
            } else {
                topics.append(topic)
                self.topic = topics.count - 1
            }
            recordStart = bytes.count
            headerStart = headers.count
            self.key = key.map { append($0) }
            self.value = append(value)
        }

        mutating func beginRecord(topic: String, key: [UInt8]?, value: [UInt8]) {
            value.withUnsafeBytes { value in
                guard let key else { return beginRecord(topic: topic, key: nil, value: value) }
                key.withUnsafeBytes { beginRecord(topic: topic, key: $0, value: value) }
            }
        }

        mutating func appendHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
            let name = append(name)
            headers.append(Header(name: name, value: value.map { append($0) }))
        }

        mutating func appendHeader(name: [UInt8], value: [UInt8]?) {
            name.withUnsafeBytes { name in
                guard let value else { return appendHeader(name: name, value: nil) }
                value.withUnsafeBytes { appendHeader(name: name, value: $0) }
            }
        }

        /// Ends the record begun last; it is ``records``' last element.
        mutating func endRecord() {
            records.append(
                Record(
                    topic: topic, key: key, value: value, headers: headerStart..<headers.count,
                    bytes: recordStart..<bytes.count))
        }

        private mutating func append(_ part: UnsafeRawBufferPointer) -> Range<Int> {
            let start = bytes.count
            // Typed, so the append is one copy of contiguous memory.
            bytes.append(
                contentsOf: UnsafeBufferPointer(
                    start: part.baseAddress?.assumingMemoryBound(to: UInt8.self), count: part.count))
            return start..<bytes.count
        }
    }
}
