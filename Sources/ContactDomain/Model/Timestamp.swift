/// An instant with microsecond precision, carried as an integer so it round-trips exactly
/// through JSON, SQLite and PostgreSQL.
///
/// Every timestamp the worker records comes from a command (`issued_at`, else the Kafka message
/// timestamp), never from a clock, so replays reproduce the same bytes. `Foundation.Date` is a
/// `Double` and does not round-trip microseconds reliably, which is why this type exists.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    /// Creates a timestamp from microseconds since the epoch.
    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// A Kafka message timestamp (milliseconds since the epoch), clamped into
    /// ``earliest``…``latest``.
    ///
    /// A producer sets CreateTime freely; clamping keeps an absurd one from overflowing or from
    /// becoming a year that RFC 3339 cannot spell.
    public init(millisecondsSinceEpoch: Int64) {
        let milliseconds = min(
            max(millisecondsSinceEpoch, Self.earliest.microsecondsSinceEpoch / 1000),
            Self.latest.microsecondsSinceEpoch / 1000)
        self.microsecondsSinceEpoch = milliseconds * 1000
    }

    /// 0001-01-01T00:00:00Z, the earliest instant RFC 3339's four-digit year can spell.
    public static let earliest = Timestamp(microsecondsSinceEpoch: -62_135_596_800_000_000)

    /// 9999-12-31T23:59:59.999999Z, the latest instant RFC 3339's four-digit year can spell.
    public static let latest = Timestamp(microsecondsSinceEpoch: 253_402_300_799_999_999)

    /// Orders timestamps by instant.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// The RFC 3339 form (``rfc3339``).
    public var description: String { rfc3339 }

    // MARK: - RFC 3339

    // Hand-written rather than ISO8601DateFormatter / Date.ISO8601FormatStyle: those go through
    // `Date` (a Double), lose microseconds, and are slow on the per-message hot path.

    /// Parses an RFC 3339 date-time (`2024-01-10T14:30:00Z`, `…T14:30:00.123456+02:00`).
    ///
    /// Returns `nil` for anything else, including out-of-range fields and instants that fall
    /// outside years 0001–9999 once the offset is applied (`0000-12-31T23:00:00-02:00` is fine,
    /// `0001-01-01T00:30:00+01:00` is not). Fractions beyond microseconds are truncated.
    public init?(rfc3339 text: some StringProtocol) {
        // Native strings lend their UTF-8 in place; any other is copied once.
        let parsed =
            text.utf8.withContiguousStorageIfAvailable(Self.microseconds(rfc3339:))
            ?? Array(text.utf8).withUnsafeBufferPointer(Self.microseconds(rfc3339:))
        guard let parsed else { return nil }
        self.microsecondsSinceEpoch = parsed
    }

    /// The instant of the RFC 3339 text in `bytes` (see ``init(rfc3339:)``), or `nil`.
    private static func microseconds(rfc3339 bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count >= 20 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard
            let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = digits(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            let hour = digits(11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var micros = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                micros += Int(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let offsetHour = digits(index + 1, 2), index + 3 < bytes.count,
                bytes[index + 3] == UInt8(ascii: ":"), let offsetMinute = digits(index + 4, 2),
                offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }

        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        let microseconds = seconds * 1_000_000 + Int64(micros)
        guard (Self.earliest.microsecondsSinceEpoch...Self.latest.microsecondsSinceEpoch).contains(microseconds)
        else { return nil }
        return microseconds
    }

    /// The UTC RFC 3339 form: `2024-01-10T14:30:00Z`, with `.ffffff` only when there is a fraction
    /// (trailing zeros trimmed), so whole-second timestamps read like the source API's.
    ///
    /// An instant outside ``earliest``…``latest`` (which neither the parser nor the Kafka
    /// initializer produces) is written as the nearer bound rather than trapping.
    public var rfc3339: String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        writeRFC3339(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the UTF-8 bytes of ``rfc3339`` to `out` (ASCII only, so never in need of JSON escaping).
    public func writeRFC3339(into out: inout [UInt8]) {
        writeRFC3339(to: &out)
    }

    /// ``writeRFC3339(into:)`` into any sink.
    func writeRFC3339<Sink: JSONTextSink & ~Copyable>(to out: inout Sink) {
        let clamped = min(
            max(microsecondsSinceEpoch, Self.earliest.microsecondsSinceEpoch), Self.latest.microsecondsSinceEpoch)
        var seconds = clamped / 1_000_000
        var micros = clamped % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Self.civilFromDays(Int(days))
        // Written in place, at most 27 bytes: each digit group is filled from its last digit back,
        // by constant divisions.
        out.appendInPlace(maximumCount: 27) { buffer in
            var count = 0
            func put(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            // `value` (0 ≤ value < 10^width) as exactly `width` digits.
            func put(_ value: Int, width: Int) {
                var rest = value
                var index = count + width
                while index > count {
                    index -= 1
                    buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                }
                count += width
            }
            put(year, width: 4)
            put(UInt8(ascii: "-"))
            put(month, width: 2)
            put(UInt8(ascii: "-"))
            put(day, width: 2)
            put(UInt8(ascii: "T"))
            put(Int(secondOfDay / 3600), width: 2)
            put(UInt8(ascii: ":"))
            put(Int(secondOfDay / 60 % 60), width: 2)
            put(UInt8(ascii: ":"))
            put(Int(secondOfDay % 60), width: 2)
            if micros != 0 {
                put(UInt8(ascii: "."))
                var fraction = Int(micros)
                var width = 6
                while fraction % 10 == 0 {
                    fraction /= 10
                    width -= 1
                }
                put(fraction, width: width)
            }
            put(UInt8(ascii: "Z"))
            return count
        }
    }

    // MARK: - Civil calendar (proleptic Gregorian; Howard Hinnant's days_from_civil algorithm)

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension Timestamp: Codable {
    /// Decodes an RFC 3339 string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an RFC 3339 date-time: \(text)")
        }
        self = value
    }

    /// Encodes the RFC 3339 string (``rfc3339``).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
