import ContactWorkerTestSupport
@testable import Kafka
import Testing

@Suite("KafkaMessage")
struct KafkaMessageTests {
    private static let headers = [
        KafkaHeader(name: "authorization", string: "Bearer a"),
        KafkaHeader(name: "null", value: nil),
        KafkaHeader(name: "empty", value: []),
        KafkaHeader(name: "authorization", string: "Bearer b"),
    ]

    @Test("a message built in memory returns its key, value, headers and byte count")
    func partsOfOneMessage() {
        let message = KafkaMessage(
            topic: "t", partition: 3, offset: 7, key: [1, 2], value: [9, 8, 7], headers: Self.headers,
            timestamp: KafkaTimestamp(milliseconds: 5))
        #expect(message.topic == "t")
        #expect(message.topicPartition == TopicPartition("t", 3))
        #expect(message.key == [1, 2])
        #expect(message.value == [9, 8, 7])
        #expect(message.headers == Self.headers)
        #expect(message.header(named: "authorization")?.stringValue == "Bearer a")
        #expect(message.lastHeader(named: "authorization")?.stringValue == "Bearer b")
        #expect(message.header(named: "null") == KafkaHeader(name: "null", value: nil))
        #expect(message.header(named: "empty") == KafkaHeader(name: "empty", value: []))
        #expect(message.header(named: "Authorization") == nil, "names compare exactly")
        #expect(message.header(named: "auth") == nil)
        // 2 + 3 bytes of key and value; names 13 + 4 + 5 + 13, values 8 + 0 + 0 + 8.
        #expect(message.byteCount == 56)
    }

    @Test("a header read as a string: the last of its name in any ASCII case, absent when null or not UTF-8")
    func lastHeaderString() {
        let message = KafkaMessage(
            topic: "t", partition: 0, offset: 0, key: nil, value: [],
            headers: [
                KafkaHeader(name: "Authorization", string: "Bearer a"),
                KafkaHeader(name: "AUTHORIZATION", string: "Bearer b"),
                KafkaHeader(name: "authorizatioN2", string: "Bearer c"),
                KafkaHeader(name: "correlation-id", string: "c-1"),
                KafkaHeader(name: "Correlation-Id", value: [0xFF, 0xFE]),
                KafkaHeader(name: "null", string: "set"),
                KafkaHeader(name: "NULL", value: nil),
                KafkaHeader(name: "empty", value: []),
                KafkaHeader(name: "caf\u{E9}", string: "accented"),
            ])
        #expect(message.lastHeaderString(anyCaseNamed: "authorization") == "Bearer b")
        #expect(message.lastHeaderString(anyCaseNamed: "AuThOrIzAtIoN") == "Bearer b")
        #expect(message.lastHeaderString(anyCaseNamed: "correlation-id") == nil, "the last one is not UTF-8")
        #expect(message.lastHeaderString(anyCaseNamed: "null") == nil, "the last one is null")
        #expect(message.lastHeaderString(anyCaseNamed: "empty") == "")
        #expect(message.lastHeaderString(anyCaseNamed: "CAF\u{E9}") == "accented")
        #expect(message.lastHeaderString(anyCaseNamed: "caf\u{C9}") == nil, "only ASCII letters fold")
        #expect(message.lastHeaderString(anyCaseNamed: "authorizatio") == nil)
        #expect(message.lastHeaderString(anyCaseNamed: "") == nil)
    }

    @Test("no key, an empty key and an empty value stay distinct")
    func nullAndEmpty() {
        let none = KafkaMessage(topic: "t", partition: 0, offset: 0, key: nil, value: [])
        let empty = KafkaMessage(topic: "t", partition: 0, offset: 0, key: [], value: [])
        #expect(none.key == nil)
        #expect(empty.key == [])
        #expect(none.value == [])
        #expect(none != empty)
        #expect(none.headers.isEmpty)
        #expect(none.byteCount == 0)
    }

    @Test("changing a part of a copy leaves the original as it was")
    func setters() {
        let original = KafkaMessage(
            topic: "t", partition: 1, offset: 2, key: [1], value: [2], headers: [KafkaHeader(name: "h", string: "v")])
        var changed = original
        changed.headers.append(KafkaHeader(name: "x", string: "y"))
        changed.key = nil
        changed.value = [3, 4]
        changed.topic = "u"
        changed.offset = 5
        #expect(
            original
                == KafkaMessage(
                    topic: "t", partition: 1, offset: 2, key: [1], value: [2],
                    headers: [KafkaHeader(name: "h", string: "v")]))
        #expect(changed.topic == "u")
        #expect(changed.key == nil)
        #expect(changed.value == [3, 4])
        #expect(changed.offset == 5)
        #expect(changed.headers.map(\.name) == ["h", "x"])
    }

    @Test("messages sharing one storage read their own parts; equality and hashing ignore where bytes live")
    func sharedStorage() {
        var builder = KafkaMessageStorage.Builder()
        for index in 0..<3 {
            builder.beginRecord(
                topic: index == 2 ? "other" : "t", key: index == 1 ? nil : [UInt8(index)], value: [UInt8(10 + index)])
            if index == 2 { builder.appendHeader(name: Array("h".utf8), value: [42]) }
            builder.endRecord()
        }
        let storage = KafkaMessageStorage(builder)
        let messages = (0..<3).map {
            KafkaMessage(storage: storage, index: $0, partition: 0, offset: Int64($0), timestamp: nil)
        }
        #expect(messages.map(\.topic) == ["t", "t", "other"])
        #expect(messages.map(\.key) == [[0], nil, [2]])
        #expect(messages.map(\.value) == [[10], [11], [12]])
        #expect(messages.map { Array($0.valueBytes) } == [[10], [11], [12]])
        #expect(messages.map { $0.keyBytes.map(Array.init) } == [[0], nil, [2]])
        #expect(messages.map(\.headers) == [[], [], [KafkaHeader(name: "h", value: [42])]])
        #expect(messages.map(\.byteCount) == [2, 1, 4])
        let alone = KafkaMessage(
            topic: "other", partition: 0, offset: 2, key: [2], value: [12],
            headers: [KafkaHeader(name: "h", value: [42])])
        #expect(messages[2] == alone)
        #expect(Set([messages[2], alone]).count == 1)
        #expect(messages[0].isOfSamePartition(as: messages[1]))
        #expect(!messages[1].isOfSamePartition(as: messages[2]))
        #expect(alone.isOfSamePartition(as: messages[2]))
    }
}

@Suite("KafkaMessageStorage.Recycler")
struct KafkaMessageStorageRecyclerTests {
    private static func storage(_ recycler: KafkaMessageStorage.Recycler, values: [[UInt8]]) -> KafkaMessageStorage {
        var builder = KafkaMessageStorage.Builder(
            reservingRecords: values.count, bytes: values.reduce(0) { $0 + $1.count }, reusing: recycler.take())
        for value in values {
            builder.beginRecord(topic: "t", key: nil, value: value)
            builder.endRecord()
        }
        return KafkaMessageStorage(builder, recycler: recycler)
    }

    private static func address(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBytes { $0.baseAddress }
    }

    @Test("the next storage fills the memory of the last one released, and reads its own bytes")
    func reusesReleasedMemory() {
        let recycler = KafkaMessageStorage.Recycler()
        var first: KafkaMessageStorage? = Self.storage(recycler, values: [Array(repeating: 1, count: 1_000)])
        let firstAddress = first.map { Self.address($0.bytes) }
        let message = first.map { KafkaMessage(storage: $0, index: 0, partition: 0, offset: 0, timestamp: nil) }
        first = nil
        #expect(message?.value == Array(repeating: 1, count: 1_000), "a message keeps its storage")
        _ = consume message
        let second = Self.storage(recycler, values: [[2, 3], [4]])
        #expect(Self.address(second.bytes) == firstAddress)
        #expect(second.value(0) == [2, 3])
        #expect(second.value(1) == [4])
        #expect(second.records.count == 2)
    }

    @Test("with nothing released, a storage gets memory of its own")
    func allocatesWhenNothingWasReleased() {
        let recycler = KafkaMessageStorage.Recycler()
        let first = Self.storage(recycler, values: [[1]])
        let second = Self.storage(recycler, values: [[2]])
        #expect(Self.address(first.bytes) != Self.address(second.bytes))
        #expect(recycler.take() == nil)
    }
}
