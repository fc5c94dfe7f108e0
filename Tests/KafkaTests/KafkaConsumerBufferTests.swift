@testable import Kafka
import Testing

@Suite("KafkaConsumerBuffer")
struct KafkaConsumerBufferTests {
    private static func chunk(_ partition: Int32, _ offsets: Range<Int64>) -> [KafkaMessage] {
        offsets.map { KafkaMessage(topic: "t", partition: partition, offset: $0, key: nil, value: [1]) }
    }

    private static func positions(_ batch: [KafkaMessage]?) -> [String] {
        (batch ?? []).map { "\($0.partition)@\($0.offset)" }
    }

    @Test("messages read one by one while the reader was busy come out as one batch, in order")
    func trickledChunksJoin() {
        var buffer = KafkaConsumerBuffer(capacity: 100, maxBatchSize: 10)
        for offset in Int64(0)..<4 {
            #expect(buffer.append(Self.chunk(Int32(offset % 2), offset..<(offset + 1))) == nil)
        }
        #expect(Self.positions(buffer.takeBuffered()?.batch) == ["0@0", "1@1", "0@2", "1@3"])
        #expect(buffer.count == 0)
        #expect(buffer.takeBuffered()?.batch == nil)
    }

    @Test("a take stops before the chunk that would pass maxBatchSize; a single larger chunk is never split")
    func batchesAreBounded() {
        var buffer = KafkaConsumerBuffer(capacity: 100, maxBatchSize: 5)
        _ = buffer.append(Self.chunk(0, 0..<3))
        _ = buffer.append(Self.chunk(0, 3..<5))
        _ = buffer.append(Self.chunk(0, 5..<6))
        _ = buffer.append(Self.chunk(1, 0..<7))
        #expect(Self.positions(buffer.takeBuffered()?.batch) == ["0@0", "0@1", "0@2", "0@3", "0@4"])
        #expect(Self.positions(buffer.takeBuffered()?.batch) == ["0@5"])
        #expect(buffer.takeBuffered()?.batch.count == 7)
        #expect(buffer.count == 0)
    }

    @Test("passing capacity asks for a fetch pause; taking below half asks to resume")
    func flowControl() {
        var buffer = KafkaConsumerBuffer(capacity: 4, maxBatchSize: 2)
        _ = buffer.append(Self.chunk(0, 0..<2))
        _ = buffer.append(Self.chunk(0, 2..<4))
        #expect(!buffer.wantsFlowPause)
        _ = buffer.append(Self.chunk(0, 4..<6))
        #expect(buffer.wantsFlowPause)
        let first = buffer.takeBuffered()
        #expect(first?.batch.count == 2)
        #expect(first?.resumeFetching == false, "4 left of capacity 4")
        #expect(buffer.takeBuffered()?.resumeFetching == false, "2 left: not below half")
        #expect(buffer.wantsFlowPause)
        #expect(buffer.takeBuffered()?.resumeFetching == true)
        #expect(!buffer.wantsFlowPause)
    }

    @Test("passing the byte bound pauses fetching with few messages; resuming needs both below half")
    func byteBound() {
        // Each message: a 2-byte key, a 100-byte value and a header of 4 + 10 bytes = 116 bytes.
        func chunk(_ partition: Int32, _ offsets: Range<Int64>) -> [KafkaMessage] {
            offsets.map {
                KafkaMessage(
                    topic: "t", partition: partition, offset: $0, key: [1, 2], value: Array(repeating: 7, count: 100),
                    headers: [KafkaHeader(name: "auth", value: Array(repeating: 1, count: 10))])
            }
        }
        var buffer = KafkaConsumerBuffer(capacity: 1_000, capacityBytes: 500, maxBatchSize: 2)
        _ = buffer.append(chunk(0, 0..<2))
        _ = buffer.append(chunk(1, 0..<2))
        #expect(buffer.bytes == 464)
        #expect(!buffer.wantsFlowPause)
        _ = buffer.append(chunk(0, 2..<3))
        #expect(buffer.bytes == 580)
        #expect(buffer.wantsFlowPause, "580 bytes buffered of 500, with 5 messages of 1,000")
        #expect(buffer.takeBuffered()?.resumeFetching == false, "348 bytes left: not below half of 500")
        let dropped = buffer.drop([TopicPartition("t", 1)])
        #expect(dropped.lowest == [TopicPartition("t", 1): 0])
        #expect(buffer.bytes == 116)
        #expect(dropped.resumeFetching, "116 bytes and 1 message left: below half of both")
        #expect(buffer.takeBuffered()?.batch.map(\.offset) == [2])
        #expect(buffer.bytes == 0)
    }

    @Test("partition events become visible only with the messages read before them, and drop with their partition")
    func eventsFollowTheirMessages() {
        var buffer = KafkaConsumerBuffer(capacity: 100, maxBatchSize: 3)
        let p0 = TopicPartition("t", 0)
        let p1 = TopicPartition("t", 1)
        _ = buffer.append(Self.chunk(0, 0..<3))
        _ = buffer.append(Self.chunk(0, 3..<5), events: [KafkaPartitionEvent(p0, .end(nextOffset: 6))])
        _ = buffer.append([], events: [KafkaPartitionEvent(p1, .end(nextOffset: 0))])
        #expect(buffer.takeHandedOutEvents().isEmpty)
        #expect(Self.positions(buffer.takeBuffered()?.batch) == ["0@0", "0@1", "0@2"])
        #expect(buffer.takeHandedOutEvents().isEmpty, "the end of partition 0 comes after offsets 3 and 4")
        #expect(Self.positions(buffer.takeBuffered()?.batch) == ["0@3", "0@4"])
        #expect(
            buffer.takeHandedOutEvents() == [
                KafkaPartitionEvent(p0, .end(nextOffset: 6)), KafkaPartitionEvent(p1, .end(nextOffset: 0)),
            ])
        #expect(buffer.takeHandedOutEvents().isEmpty, "each event is taken once")
        #expect(buffer.takeBuffered() == nil)

        // Dropping a partition (revoked, sought) drops its pending events too.
        _ = buffer.append(Self.chunk(1, 0..<2), events: [KafkaPartitionEvent(p1, .end(nextOffset: 2))])
        _ = buffer.append([], events: [KafkaPartitionEvent(p0, .end(nextOffset: 9))])
        #expect(buffer.drop([p1]).lowest == [p1: 0])
        #expect(buffer.takeBuffered()?.batch.isEmpty == true)
        #expect(buffer.takeHandedOutEvents() == [KafkaPartitionEvent(p0, .end(nextOffset: 9))])
    }
}
