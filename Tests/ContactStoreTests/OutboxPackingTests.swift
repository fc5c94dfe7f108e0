@testable import ContactStore
import Testing

@Suite("Outbox packing: one stored row per batch")
struct OutboxPackingTests {
    static let messages = [
        OutboxMessage(
            topic: "contacts.events", key: Array("c-1".utf8), value: Array(#"{"a":1}"#.utf8),
            headers: [("content-type", Array("application/json".utf8))], contactID: "c-1"),
        OutboxMessage(topic: "contacts.dead-letter", key: nil, value: [], headers: [], contactID: nil),
        OutboxMessage(
            topic: "contacts.command-results", key: [], value: [0, 255, 0],
            headers: [("correlation-id", [0xFF]), ("", []), ("correlation-id", Array("é".utf8))], contactID: ""),
    ]

    @Test("messages round-trip exactly, with their indexes and sequences")
    func roundTrip() throws {
        let indexed = [
            (index: 0, message: Self.messages[0]), (index: 7, message: Self.messages[1]),
            (index: 1_048_575, message: Self.messages[2]),
        ]
        let unpacked = try #require(OutboxPacking.unpack(OutboxPacking.pack(indexed), batchID: 3))
        #expect(unpacked.map(\.index) == [0, 7, 1_048_575])
        #expect(unpacked.map(\.message.sequence) == [3 << 20, 3 << 20 | 7, 3 << 20 | 1_048_575])
        for (entry, original) in zip(unpacked, Self.messages) {
            var stripped = entry.message
            stripped.sequence = nil
            #expect(stripped == original)
        }
        #expect(OutboxPacking.unpack(OutboxPacking.pack([OutboxMessage]()), batchID: 1)?.isEmpty == true)
    }

    @Test(
        "a batch is stored as one row per source partition, in first-appearance order, and its sequences come back in its order"
    )
    func partitionGroups() {
        let partitions: [Int32?] = [3, 1, nil, 3, 1, 3, nil, 0]
        let messages = partitions.map { partition in
            var message = Self.messages[0]
            message.sourcePartition = partition
            return message
        }
        let groups = OutboxPacking.partitionGroups(messages)
        #expect(
            groups == [
                .init(sourcePartition: 3, positions: [0, 3, 5]), .init(sourcePartition: 1, positions: [1, 4]),
                .init(sourcePartition: nil, positions: [2, 6]), .init(sourcePartition: 0, positions: [7]),
            ])
        let expected: [(batchID: Int64, index: Int)] = [
            (10, 0), (11, 0), (12, 0), (10, 1), (11, 1), (10, 2), (12, 1), (13, 0),
        ]
        #expect(
            OutboxPacking.sequences(of: groups, batchIDs: [10, 11, 12, 13], count: messages.count)
                == expected.map { OutboxPacking.sequence(batchID: $0.batchID, index: $0.index) })
        #expect(OutboxPacking.partitionGroups([]).isEmpty)
    }

    @Test("a partition group packs its messages in the group's order, numbered from 0, wherever they are in the batch")
    func packGroup() throws {
        let packed = OutboxPacking.pack([2, 0], of: Self.messages)
        #expect(packed == OutboxPacking.pack([Self.messages[2], Self.messages[0]]))
        let unpacked = try #require(OutboxPacking.unpack(packed, batchID: 4))
        #expect(unpacked.map(\.index) == [0, 1])
        #expect(unpacked.map(\.message.topic) == [Self.messages[2].topic, Self.messages[0].topic])
        let slice = Self.messages[1...]
        #expect(OutboxPacking.pack(slice) == OutboxPacking.pack([Self.messages[1], Self.messages[2]]))
    }

    @Test("every truncation and a wrong version byte read as corrupt, never trap")
    func corruptBytes() {
        let bytes = OutboxPacking.pack(Self.messages)
        for length in 0..<bytes.count {
            let result = OutboxPacking.unpack(bytes.prefix(length), batchID: 1)
            // A cut exactly between two messages is a valid, shorter batch; anything else is corrupt.
            if let result {
                #expect(result.count < Self.messages.count)
                #expect(OutboxPacking.pack(result) == Array(bytes.prefix(length)))
            }
        }
        #expect(OutboxPacking.unpack([2] + bytes.dropFirst(), batchID: 1) == nil)
        #expect(OutboxPacking.unpack(bytes + [0xFF, 0xFF, 0xFF, 0xFF], batchID: 1) == nil)
    }

    @Test("marks group by batch into runs; whole, partial and scattered marks are told apart")
    func marks() {
        let marks = OutboxPacking.marks([
            OutboxPacking.sequence(batchID: 2, index: 3), OutboxPacking.sequence(batchID: 1, index: 0),
            OutboxPacking.sequence(batchID: 2, index: 1), OutboxPacking.sequence(batchID: 2, index: 2),
            OutboxPacking.sequence(batchID: 2, index: 2), -1, .min,
        ])
        #expect(marks == [1: [0...0], 2: [1...3]])

        let whole = OutboxPacking.StoredBatch(firstIndex: 1, lastIndex: 3, count: 3)
        #expect(OutboxPacking.effect(of: [0...5], on: whole) == .deletesRow)
        #expect(OutboxPacking.effect(of: [1...2], on: whole) == .rewritesRow)
        #expect(OutboxPacking.effect(of: [4...9], on: whole) == .leavesRow)
        let holed = OutboxPacking.StoredBatch(firstIndex: 1, lastIndex: 3, count: 2)
        #expect(OutboxPacking.effect(of: [0...5], on: holed) == .rewritesRow)
    }

    @Test("rewriting a stored batch keeps exactly the unmarked messages with their indexes")
    func rewrite() throws {
        let stored = [
            (index: 2, message: Self.messages[0]), (index: 3, message: Self.messages[1]),
            (index: 5, message: Self.messages[2]),
        ]
        #expect(OutboxPacking.rewrite(stored, without: [0...1, 4...4, 6...9]) == .unchanged)
        #expect(OutboxPacking.rewrite(stored, without: [2...3, 5...5]) == .delete)
        let rewritten = OutboxPacking.rewrite(stored, without: [3...3])
        #expect(
            rewritten
                == .replace(
                    firstIndex: 2, lastIndex: 5, count: 2, messages: OutboxPacking.pack([stored[0], stored[2]])))
        guard case .replace(_, _, _, let packed) = rewritten else { return }
        let kept = try #require(OutboxPacking.unpack(packed, batchID: 9))
        #expect(kept.map(\.message.sequence) == [9 << 20 | 2, 9 << 20 | 5])
    }
}
