import ContactDomain
import PostgresNIO

/// A ``Timestamp`` in PostgreSQL's binary `timestamptz` format (Int64 microseconds since
/// 2000-01-01 UTC).
///
/// PostgresNIO only offers `Foundation.Date`, a Double, which does not round-trip microseconds;
/// this codec writes and reads the integer directly, so a stored timestamp comes back exact.
struct PostgresTimestamp: PostgresNonThrowingEncodable, PostgresArrayEncodable, PostgresDecodable, Sendable {
    /// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01T00:00:00Z).
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    var timestamp: Timestamp

    init(_ timestamp: Timestamp) {
        self.timestamp = timestamp
    }

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }
    static var psqlArrayType: PostgresDataType { .timestamptzArray }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(Self.postgresMicroseconds(timestamp))
    }

    /// `timestamp` as PostgreSQL's binary `timestamptz` holds it: microseconds since 2000-01-01 UTC.
    static func postgresMicroseconds(_ timestamp: Timestamp) -> Int64 {
        // Wrapping only matters within 30 years of Int64.min, far outside what PostgreSQL accepts
        // anyway; the server rejects such a value as out of range.
        timestamp.microsecondsSinceEpoch &- postgresEpochOffset
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from byteBuffer: inout ByteBuffer,
        type: PostgresDataType,
        format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard format == .binary, type == .timestamptz || type == .timestamp,
            let raw = byteBuffer.readInteger(as: Int64.self)
        else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        // ±infinity are stored as Int64.max/min and do not fit a Timestamp.
        let (micros, overflow) = raw.addingReportingOverflow(Self.postgresEpochOffset)
        guard !overflow else { throw PostgresDecodingError.Code.failure }
        self.timestamp = Timestamp(microsecondsSinceEpoch: micros)
    }
}
