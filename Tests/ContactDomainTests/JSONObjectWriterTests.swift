import Foundation
import PropertyBased
import Testing

@testable import ContactDomain

@Suite("JSON object writer: the bytes of the value it stands for, across its stack space and the heap")
struct JSONObjectWriterTests {
    /// One member as the writer writes it and as a value holds it.
    enum Member: Sendable, CustomStringConvertible {
        case string(String)
        case nullString
        case uuid(UUID)
        case timestamp(Timestamp)
        case integer(Int)
        case bool(Bool)
        case nested([Member])

        var description: String {
            switch self {
            case .string(let text): "string(\(text.utf8.count) bytes)"
            case .nullString: "null"
            case .uuid(let id): "uuid(\(id.lowercasedString))"
            case .timestamp(let time): "timestamp(\(time.rfc3339))"
            case .integer(let value): "integer(\(value))"
            case .bool(let value): "bool(\(value))"
            case .nested(let members): "nested\(members)"
            }
        }

        var value: JSONValue {
            switch self {
            case .string(let text): .string(text)
            case .nullString: .null
            case .uuid(let id): .string(id.lowercasedString)
            case .timestamp(let time): .string(time.rfc3339)
            case .integer(let value): .number(String(value))
            case .bool(let value): .bool(value)
            case .nested(let members): Self.object(members)
            }
        }

        static func object(_ members: [Member]) -> JSONValue {
            .object(members.enumerated().map { JSONValue.Member("m\($0.offset)", $0.element.value) })
        }

        static func write(_ members: [Member], to writer: inout JSONObjectWriter) {
            // Member names are literals; the value's names are m0, m1, … in the same order.
            let names: [StaticString] = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]
            for (name, member) in zip(names, members) {
                switch member {
                case .string(let text): writer.string(name, text)
                case .nullString: writer.string(name, orNull: nil)
                case .uuid(let id): writer.uuid(name, id)
                case .timestamp(let time): writer.timestamp(name, time)
                case .integer(let value): writer.integer(name, value)
                case .bool(let value): writer.bool(name, value)
                case .nested(let nested): writer.object(name) { write(nested, to: &$0) }
                }
            }
        }
    }

    @Test("an object written member by member is its value's encoding, whatever its length")
    func matchesValueEncoding() async {
        // Texts from empty to several times the stack space, with escapes and multi-byte characters.
        let pieces = ["a", "Zoë ✓ 😀 ", "quote \" back \\ ", "ctl \u{01}\n\t", String(repeating: "x", count: 700)]
        let text = Gen.element(of: pieces).map { $0 ?? "" }.array(of: 0...8).map { $0.joined() }
        let leaf = Gen.oneOf(
            text.map { Member.string($0) }.eraseToAnySequence(),
            Gen.always(Member.nullString).eraseToAnySequence(),
            Gen.int(in: 0...255).map { Member.uuid(Fixtures.uuid($0)) }.eraseToAnySequence(),
            Gen.int(in: 0...2_000_000_000).map {
                Member.timestamp(Timestamp(microsecondsSinceEpoch: Int64($0) * 1_000_003))
            }
            .eraseToAnySequence(),
            Gen.element(of: [0, 7, -7, 10, -10, 1_000_000, Int.max, Int.min, Int.min + 1]).map {
                Member.integer($0 ?? 0)
            }
            .eraseToAnySequence(),
            Gen.bool.map { Member.bool($0) }.eraseToAnySequence())
        // Objects nested up to three deep.
        let inner = Gen.oneOf(
            leaf.eraseToAnySequence(), leaf.array(of: 0...4).map { Member.nested($0) }.eraseToAnySequence())
        let member = Gen.oneOf(
            leaf.eraseToAnySequence(), inner.array(of: 0...4).map { Member.nested($0) }.eraseToAnySequence())
        await propertyCheck(count: 300, input: member.array(of: 0...10)) { members in
            let written = JSONObjectWriter.bytes { Member.write(members, to: &$0) }
            #expect(String(decoding: written, as: UTF8.self) == Member.object(members).encodedString)
        }
    }

    @Test("a member spelled in place across the end of the stack space is whole")
    func inPlaceAcrossStackEnd() {
        let id = UUID(
            uuid: (0xA0, 0xB1, 0xC2, 0xD3, 0xE4, 0xF5, 0x06, 0x17, 0x28, 0x39, 0x4A, 0x5B, 0x6C, 0x7D, 0x8E, 0x9F))
        let time = Timestamp(microsecondsSinceEpoch: 1_704_897_000_123_456)
        // The id is spelled from byte 16 + padding, the timestamp from 60 + padding and the integer
        // from 93 + padding: each of them, at every offset, across the stack space's end.
        for padding in (JSONTextBuffer.stackCapacity - 120)...(JSONTextBuffer.stackCapacity + 5) {
            let text = String(repeating: "p", count: padding)
            let written = JSONObjectWriter.bytes { object in
                object.string("pad", text)
                object.uuid("id", id)
                object.timestamp("at", time)
                object.integer("n", Int.min)
            }
            let expected = JSONValue.object([
                .init("pad", .string(text)), .init("id", .string("a0b1c2d3-e4f5-0617-2839-4a5b6c7d8e9f")),
                .init("at", .string("2024-01-10T14:30:00.123456Z")), .init("n", .number("-9223372036854775808")),
            ])
            #expect(String(decoding: written, as: UTF8.self) == expected.encodedString, "padding \(padding)")
        }
    }

    @Test("an empty object, and an empty nested one, are braces")
    func emptyObjects() {
        #expect(JSONObjectWriter.bytes { _ in } == Array("{}".utf8))
        let nested = JSONObjectWriter.bytes { object in
            object.object("a") { _ in }
            object.bool("b", false)
        }
        #expect(nested == Array(#"{"a":{},"b":false}"#.utf8))
    }

    @Test("the bytes handed to a caller are the object's, also when it outgrew the stack space")
    func withObjectHandsTheBytes() {
        let long = String(repeating: "y", count: 3 * JSONTextBuffer.stackCapacity)
        for text in ["", long] {
            let handed = JSONObjectWriter.withObject {
                $0.string("t", text)
            } _: {
                Array($0)
            }
            #expect(String(decoding: handed, as: UTF8.self) == #"{"t":""# + text + #""}"#)
        }
    }
}

extension JSONObjectWriterTests {
    @Test("a buffer traded out of the call that lent it stack space stops the process")
    func tradedBufferTraps() async {
        await #expect(processExitsWith: .failure) {
            let text = JSONTextBuffer.withBuffer { outer in
                JSONTextBuffer.withBuffer { inner in swap(&outer, &inner) }
                return outer.count
            }
            _ = text
        }
    }
}
