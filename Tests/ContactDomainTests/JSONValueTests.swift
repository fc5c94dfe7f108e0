import Foundation
import Testing

@testable import ContactDomain

@Suite("JSONValue: strict parsing, deterministic encoding")
struct JSONValueTests {
    @Test("encodes compactly, in member order, with fixed escapes")
    func encoding() {
        let value = JSONValue.object([
            "b": .integer(-12),
            "a": .array([.null, .bool(true), .bool(false), .number("1.5e3")]),
            "s": .string("quote\" back\\ slash/ nl\n tab\t bell\u{07} é 😀"),
        ])
        #expect(
            value.encodedString
                == #"{"b":-12,"a":[null,true,false,1.5e3],"s":"quote\" back\\ slash/ nl\n tab\t bell\u0007 é 😀"}"#)
    }

    @Test("parse then encode is the identity on compact documents")
    func roundTrip() throws {
        let text = #"{"x":[1,-0.5,2E+10,"a\"b",{"y":null}],"z":{},"w":[],"u":"\u00e9\ud83d\ude00"}"#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(try JSONValue.parse(value.encoded()) == value)
        #expect(value["u"] == .string("é😀"))
        // Plain runs between escapes and multi-byte characters, and at a string's ends.
        let mixed = try JSONValue.parse(Array(#"["a é b\\c \"d\" é","é","plain"]"#.utf8))
        #expect(mixed == .array([.string(#"a é b\c "d" é"#), .string("é"), .string("plain")]))
        #expect(value["x"]?.arrayValue?.count == 5)
    }

    @Test("agrees with Foundation on what it parses")
    func agreesWithFoundation() throws {
        let text = #"{"name":"Ada","n":[1,2.5,true,null],"nested":{"k":"v\u0001"}}"#
        let ours = try JSONValue.parse(Array(text.utf8))
        let reencoded = try JSONSerialization.jsonObject(with: Data(ours.encoded())) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
        #expect(reencoded == theirs)
    }

    @Test("duplicate members: lookup takes the last, canonical form keeps only the last, sorted")
    func duplicatesAndCanonical() throws {
        let value = try JSONValue.parse(Array(#"{"b":1,"a":2,"b":3}"#.utf8))
        #expect(value["b"] == .integer(3))
        #expect(value.canonicalized.encodedString == #"{"a":2,"b":3}"#)
    }

    @Test(
        "rejects malformed JSON without trapping",
        arguments: [
            "", " ", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1",
            "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\u{01}\"", "[1] [2]",
            "{\"a\":1,}", "NaN", "Infinity", "\u{FEFF}{}", "//\n{}", "\"plain \u{1F} text\"", "[\"é and\u{0A}\"]",
        ])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test(
        "rejects invalid UTF-8",
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82],
        ]
            as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test("nesting is bounded: 64 levels parse, 65 are rejected, 100 000 do not crash")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONValue.parse(Array(ok.utf8)) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(kind: .tooDeep(maximum: 64), offset: 64)) {
            try JSONValue.parse(Array(deep.utf8))
        }
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(hostile.utf8)) }
    }

    @Test("string runs are scanned eight bytes at a time: a byte that ends a run is found at every position")
    func plainRunsByWords() throws {
        for prefix in 0...17 {
            let run = String(repeating: "a", count: prefix)
            #expect(try JSONValue.parse(Array(("[\"" + run + "\"]").utf8)) == .array([.string(run)]))
            // An escape and a non-ASCII character end a run; DEL, space and tilde are plain.
            let read = [
                ("\\\"", "\""), ("\\n", "\n"), ("é", "é"), ("😀", "😀"), ("\u{7F}", "\u{7F}"), (" ", " "), ("~", "~"),
            ]
            for (inner, expected) in read {
                let text = "[\"" + run + inner + "bcdefghij\"]"
                #expect(try JSONValue.parse(Array(text.utf8)) == .array([.string(run + expected + "bcdefghij")]))
            }
            // Control bytes and invalid UTF-8 (a stray byte, an overlong form, a surrogate, a cut
            // sequence) are refused wherever they fall.
            let refused: [[UInt8]] = [
                [0x00], [0x0A], [0x1F], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82],
            ]
            for inner in refused {
                let bytes = Array(("[\"" + run).utf8) + inner + Array("bcdefghij\"]".utf8)
                #expect(throws: JSONParseError(kind: .invalidString, offset: 2 + prefix)) { try JSONValue.parse(bytes) }
            }
        }
    }

    @Test("errors name the offset")
    func errorOffsets() {
        #expect(throws: JSONParseError(kind: .trailingData, offset: 7)) {
            try JSONValue.parse(Array(#"{"a":1}}"#.utf8))
        }
        #expect(throws: JSONParseError(kind: .unexpectedByte(0x31), offset: 5)) {
            try JSONValue.parse(Array(#"{"a" 1}"#.utf8))
        }
        #expect(
            JSONParseError(kind: .unexpectedByte(0x7D), offset: 12).description == "unexpected byte 0x7d at offset 12")
    }

    @Test("a slice of a larger buffer: nothing outside it is read, offsets count from its start")
    func slices() throws {
        // Bytes on either side that would be a syntax error if the parser read them.
        let buffer = Array(#"}}{"a":["x",1]}{{"#.utf8)
        let document = buffer[2..<15]
        #expect(try JSONValue.parse(document) == .object(["a": .array([.string("x"), .integer(1)])]))
        #expect(throws: JSONParseError(kind: .unexpectedEnd, offset: 12)) { try JSONValue.parse(buffer[2..<14]) }
        #expect(throws: JSONParseError(kind: .unexpectedByte(0x7D), offset: 0)) { try JSONValue.parse(buffer[1..<15]) }
        #expect(throws: JSONParseError(kind: .unexpectedEnd, offset: 0)) { try JSONValue.parse(buffer[2..<2]) }
    }

    @Test(
        "a slice that ends inside a value is incomplete, whatever completes it past the end",
        arguments: [
            // A slice of `[x]`, `["é"]` (with é as two bytes), an escape, a surrogate pair, a
            // number's exponent and a literal, each cut short where the rest follows in the buffer.
            (#"x["é"]"#, 4),
            (#"x["plain text"]"#, 8),
            (#"x["\u00e9"]"#, 6),
            (#"x["\ud83d\ude00"]"#, 10),
            (#"x[1e10]"#, 4),
            (#"x[true]"#, 4),
        ])
    func slicesCutShort(text: String, end: Int) {
        let buffer = Array(text.utf8)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(buffer[1..<end]) }
        #expect(throws: Never.self) { try JSONValue.parse(buffer[1...]) }
    }

    @Test("String.hasSameUTF8(as:) compares bytes: lengths, small and heap strings, canonical equivalents")
    func sameUTF8() {
        let long = String(repeating: "x", count: 40)
        #expect("".hasSameUTF8(as: ""))
        #expect("abc".hasSameUTF8(as: "abc"))
        #expect(!"abc".hasSameUTF8(as: "abd"))
        #expect(!"abc".hasSameUTF8(as: "abcd"))
        #expect(!"".hasSameUTF8(as: "a"))
        #expect((long + "é").hasSameUTF8(as: String(long + "é")))
        #expect(!(long + "a").hasSameUTF8(as: long + "b"))
        // Canonically equivalent, equal for `==`, of one length, different bytes.
        #expect("a\u{301}\u{323}" == "a\u{323}\u{301}")
        #expect(!"a\u{301}\u{323}".hasSameUTF8(as: "a\u{323}\u{301}"))
    }

    @Test("String.withUTF8Bytes(_:) reads a string's UTF-8 bytes in place: empty, small, heap, substrings, non-ASCII")
    func utf8BytesInPlace() {
        let long = String(repeating: "é✓", count: 30)
        let texts = [
            "", "a", "fifteen bytes!!", "sixteen bytes!!!", long, String(long.dropFirst(3).prefix(7)), "😀\u{0}x",
        ]
        for text in texts {
            #expect(text.withUTF8Bytes { Array($0) } == Array(text.utf8), "\(text.debugDescription)")
        }
        // (A string without contiguous UTF-8, which the function copies first, is a bridged one:
        // Linux makes none.) The body's result and error pass through.
        #expect(long.withUTF8Bytes(\.count) == long.utf8.count)
        struct Stop: Error {}
        #expect(throws: Stop.self) { try long.withUTF8Bytes { _ in throw Stop() } }
    }

    @Test("Codable: decodes and encodes through Foundation coders")
    func codable() throws {
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"b":[1,true,null,"x"],"a":2.5}"#.utf8))
        #expect(
            decoded == .object(["a": .number("2.5"), "b": .array([.integer(1), .bool(true), .null, .string("x")])]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(decoded)
        #expect(try JSONValue.parse(Array(data)) == decoded)
    }

    @Test("past the depth limit, parseReplacingTooDeep checks the rest without recursion and leaves it out")
    func replacingTooDeep() throws {
        let text = #"{"id":"x","deep":[1,{"k":[true,null,"]}\"",-2.5e3,{}]},[]],"after":7}"#
        let parsed = try JSONValue.parseReplacingTooDeep(Array(text.utf8), maximumDepth: 2)
        #expect(parsed.replaced)
        #expect(parsed.topLevelKey == "deep")
        #expect(
            parsed.value
                == .object([
                    .init("id", .string("x")), .init("deep", .array([.number("1"), .null, .null])),
                    .init("after", .number("7")),
                ]))
        let shallow = try JSONValue.parseReplacingTooDeep(Array(#"{"a":[1]}"#.utf8), maximumDepth: 2)
        #expect(!shallow.replaced)
        #expect(shallow.topLevelKey == nil)
        // 200,000 levels: no recursion, no trap.
        let huge = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(
            try JSONValue.parseReplacingTooDeep(Array(huge.utf8), maximumDepth: 2).value == .array([.array([.null])]))
    }

    @Test(
        "the check past the depth limit is as strict as the parser",
        arguments: [
            #"[[[1 2]]]"#, #"[[{"a" 1}]]"#, #"[[[1,]]]"#, #"[[{"a":1,}]]"#, #"[[[}]]"#, #"[[[1"#, #"[[{1:2}]]"#,
            #"[[["\x"]]]"#, #"[[[tru]]]"#, #"[[[01]]]"#, #"[[{"a":1}}]"#,
        ])
    func replacingTooDeepIsStrict(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parseReplacingTooDeep(Array(text.utf8), maximumDepth: 2) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8), maximumDepth: 100) }
    }
}
