import Foundation
import Testing

@testable import ContactDomain

@Suite("Timestamp: RFC 3339 with microseconds, no Foundation.Date")
struct TimestampTests {
    @Test(
        "parses and formats UTC instants",
        arguments: [
            ("1970-01-01T00:00:00Z", Int64(0), "1970-01-01T00:00:00Z"),
            ("2024-01-10T14:30:00Z", 1_704_897_000_000_000, "2024-01-10T14:30:00Z"),
            ("2024-01-10T14:30:00.5Z", 1_704_897_000_500_000, "2024-01-10T14:30:00.5Z"),
            ("2024-01-10T14:30:00.123456Z", 1_704_897_000_123_456, "2024-01-10T14:30:00.123456Z"),
            ("2024-01-10T14:30:00.1234569Z", 1_704_897_000_123_456, "2024-01-10T14:30:00.123456Z"),
            ("2024-01-10t14:30:00z", 1_704_897_000_000_000, "2024-01-10T14:30:00Z"),
            ("2024-02-29T23:59:59Z", 1_709_251_199_000_000, "2024-02-29T23:59:59Z"),
            ("1969-12-31T23:59:59.999999Z", -1, "1969-12-31T23:59:59.999999Z"),
            ("0001-01-01T00:00:00Z", -62_135_596_800_000_000, "0001-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59Z", 253_402_300_799_000_000, "9999-12-31T23:59:59Z"),
        ])
    func parsesAndFormats(text: String, micros: Int64, formatted: String) throws {
        let timestamp = try #require(Timestamp(rfc3339: text))
        #expect(timestamp.microsecondsSinceEpoch == micros)
        #expect(timestamp.rfc3339 == formatted)
        #expect(Timestamp(rfc3339: timestamp.rfc3339) == timestamp)
    }

    @Test("applies numeric offsets")
    func offsets() throws {
        let utc = try #require(Timestamp(rfc3339: "2024-01-10T14:30:00Z"))
        #expect(Timestamp(rfc3339: "2024-01-10T16:30:00+02:00") == utc)
        #expect(Timestamp(rfc3339: "2024-01-10T09:00:00-05:30") == utc)
        #expect(Timestamp(rfc3339: "2024-01-10T14:30:00+00:00") == utc)
    }

    @Test(
        "rejects anything that is not an RFC 3339 date-time",
        arguments: [
            "", "2024-01-10", "2024-01-10T14:30:00", "2024-01-10 14:30:00Z", "2024-13-10T14:30:00Z",
            "2024-02-30T14:30:00Z", "2023-02-29T00:00:00Z", "2024-01-10T24:00:00Z", "2024-01-10T14:60:00Z",
            "2024-01-10T14:30:00.Z", "2024-01-10T14:30:00+0200", "2024-01-10T14:30:00+24:00",
            "2024-01-10T14:30:00Zjunk", "２０２４-01-10T14:30:00Z", "2024-1-10T14:30:00Z", "-024-01-10T14:30:00Z",
        ])
    func rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test(
        "rejects instants outside years 0001–9999 once the offset is applied",
        arguments: [
            "0000-01-01T00:00:00+01:00", "0001-01-01T00:30:00+01:00", "0000-01-01T00:00:00Z",
            "9999-12-31T23:00:00-02:00", "9999-12-31T23:59:59.9999999-00:01",
        ])
    func rejectsOutOfRange(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("accepts the range's edges reached through an offset")
    func rangeEdgesThroughOffsets() throws {
        #expect(Timestamp(rfc3339: "0000-12-31T23:00:00-01:00") == Timestamp.earliest)
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999999Z") == Timestamp.latest)
        #expect(Timestamp.earliest.rfc3339 == "0001-01-01T00:00:00Z")
        #expect(Timestamp.latest.rfc3339 == "9999-12-31T23:59:59.999999Z")
    }

    @Test("absurd Kafka timestamps clamp into the range instead of overflowing")
    func kafkaTimestampsClamp() {
        #expect(Timestamp(millisecondsSinceEpoch: .max).rfc3339 == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: .min) == Timestamp.earliest)
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }

    @Test("formatting never traps, even for instants no parser produces")
    func formattingIsTotal() {
        #expect(Timestamp(microsecondsSinceEpoch: .min).rfc3339 == "0001-01-01T00:00:00Z")
        #expect(Timestamp(microsecondsSinceEpoch: .max).rfc3339 == "9999-12-31T23:59:59.999999Z")
    }

    @Test("Kafka milliseconds become microseconds; ordering follows the instant")
    func millisecondsAndOrdering() {
        let early = Timestamp(millisecondsSinceEpoch: 1_000)
        #expect(early.microsecondsSinceEpoch == 1_000_000)
        #expect(early < Timestamp(microsecondsSinceEpoch: 1_000_001))
        #expect(early.description == "1970-01-01T00:00:01Z")
    }

    @Test("round-trips through Codable as an RFC 3339 string")
    func codable() throws {
        let timestamp = Timestamp(microsecondsSinceEpoch: 1_704_897_000_000_001)
        let data = try JSONEncoder().encode([timestamp])
        #expect(String(decoding: data, as: UTF8.self) == #"["2024-01-10T14:30:00.000001Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [timestamp])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["nope"]"#.utf8))
        }
    }
}
