import ContactDomain
import ContactWorkerTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import ContactStore

@Suite("PostgreSQL array parameters: the binary array format, NULLs included")
struct PostgresArrayParameterTests {
    /// The bytes `value` binds as a parameter's value (without the parameter's length).
    private static func wire(_ value: some PostgresNonThrowingEncodable) -> [UInt8] {
        var buffer = ByteBuffer()
        value.encode(into: &buffer, context: .default)
        return Array(buffer.readableBytesView)
    }

    private static func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    @Test("a text column with a NULL: header with the NULL flag, one dimension, then each length and value")
    func textWithNull() {
        let column = PostgresArrayColumn<String>(["ab", nil, ""])
        let expected: [[UInt8]] = [
            Self.int32(1), Self.int32(1), Self.int32(25),  // one dimension, has NULLs, text
            Self.int32(3), Self.int32(1),  // length 3, lower bound 1
            Self.int32(2), Array("ab".utf8), Self.int32(-1), Self.int32(0),
        ]
        #expect(Self.wire(column) == expected.flatMap { $0 })
        #expect(PostgresArrayColumn<String>.psqlType == .textArray)
    }

    @Test("an empty column is the empty array: no dimension, nothing after the element type")
    func empty() {
        #expect(Self.wire(PostgresArrayColumn<UUID>(reservingRows: 4)) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0x86])
        #expect(Self.wire(PostgresByteaArray(reservingRows: 4)) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17])
    }

    @Test("a bytea array: header without NULLs, then each length and the bytes as they are")
    func bytea() {
        var array = PostgresByteaArray(reservingRows: 0)
        for bytes: [UInt8] in [[0, 0xFF], [], [7]] { array.append(bytes) }
        let expected: [[UInt8]] = [
            Self.int32(1), Self.int32(0), Self.int32(17),  // one dimension, no NULLs, bytea
            Self.int32(3), Self.int32(1),  // length 3, lower bound 1
            Self.int32(2), [0, 0xFF], Self.int32(0), Self.int32(1), [7],
        ]
        #expect(Self.wire(array) == expected.flatMap { $0 })
        #expect(PostgresByteaArray.psqlType == .byteaArray)
        let bodies: [[UInt8]] = [[], [0, 0xFF], Array(repeating: 7, count: 1000)]
        var large = PostgresByteaArray(reservingRows: 0)
        for body in bodies { large.append(body) }
        #expect(Self.wire(large) == Self.wire(bodies.map { ByteBuffer(bytes: $0) }))
    }

    @Test("without NULLs, every element type writes the bytes PostgresNIO writes for the same array")
    func sameAsPostgresNIO() {
        let strings = ["", "é ✓", String(repeating: "x", count: 300)]
        #expect(Self.wire(PostgresArrayColumn<String>(strings)) == Self.wire(strings))
        let uuids = [UUID(), UUID(uuidString: "00000000-0000-0000-0000-0000000000FF")!]
        #expect(Self.wire(PostgresArrayColumn<UUID>(uuids)) == Self.wire(uuids))
        let int32s: [Int32] = [0, -1, .max, .min]
        #expect(Self.wire(PostgresArrayColumn<Int32>(int32s)) == Self.wire(int32s))
        let int64s: [Int64] = [0, -1, .max, .min]
        #expect(Self.wire(PostgresArrayColumn<Int64>(int64s)) == Self.wire(int64s))
        let times = [-1, 0, 946_684_800_000_001].map { Timestamp(microsecondsSinceEpoch: $0) }
        #expect(Self.wire(PostgresArrayColumn<Timestamp>(times)) == Self.wire(times.map(PostgresTimestamp.init)))
    }

    @Test(
        "PostgreSQL reads back every element exactly, NULLs and the empty array included",
        .enabled(if: TestEnvironment.postgresURL != nil, Comment(rawValue: TestEnvironment.missingPostgres)))
    func serverRoundTrip() async throws {
        let base = try #require(TestEnvironment.postgresURL)
        guard case .postgres(let server) = try DatabaseURL(parsing: base) else {
            Issue.record("CONTACT_WORKER_TEST_POSTGRES_URL is not a PostgreSQL URL: \(base)")
            return
        }
        let texts: [String?] = ["é ✓", nil, "", "a\nb"]
        let uuids: [UUID?] = [UUID(), UUID(), nil, UUID()]
        let int32s: [Int32?] = [.min, nil, 0, .max]
        let int64s: [Int64?] = [nil, .min, -1, .max]
        // Before 1970 and before PostgreSQL's 2000 epoch, odd microseconds.
        let micros: [Int64?] = [-1, 946_684_799_999_999, nil, 4_102_444_799_999_999]
        let times = micros.map { $0.map(Timestamp.init(microsecondsSinceEpoch:)) }
        let bodies: [[UInt8]] = [[0, 0xFF, 0x80], [], Array(repeating: 0, count: 70_000), Array("{}".utf8)]
        var bytea = PostgresByteaArray(reservingRows: bodies.count)
        for body in bodies { bytea.append(body) }
        let logger = Logger(label: "PostgresArrayParameterTests")
        let connection = try await server.connectForTest(logger: logger)
        do {
            let query: PostgresQuery = """
                SELECT t, u, i, l, ts, b
                FROM UNNEST(\(PostgresArrayColumn(texts)), \(PostgresArrayColumn(uuids)), \(PostgresArrayColumn(int32s)),
                    \(PostgresArrayColumn(int64s)), \(PostgresArrayColumn(times)), \(bytea))
                    WITH ORDINALITY AS r (t, u, i, l, ts, b, n)
                ORDER BY n
                """
            var rows = 0
            let decoded = try await connection.query(query, logger: logger).decode(
                (String?, UUID?, Int32?, Int64?, PostgresTimestamp?, ByteBuffer?).self)
            for try await (text, uuid, int32, int64, time, body) in decoded {
                #expect(text == texts[rows])
                #expect(uuid == uuids[rows])
                #expect(int32 == int32s[rows])
                #expect(int64 == int64s[rows])
                #expect(time?.timestamp == times[rows])
                #expect(body.map { Array($0.readableBytesView) } == bodies[rows])
                rows += 1
            }
            #expect(rows == 4)

            let empty = PostgresArrayColumn<String>(reservingRows: 0)
            let shape = try await connection.query(
                "SELECT cardinality(\(empty)), array_ndims(\(empty)), \(empty) = '{}'::text[]", logger: logger
            ).collect()
            let (cardinality, dimensions, isEmpty) = try #require(shape.first).decode((Int32, Int32?, Bool).self)
            #expect(cardinality == 0)
            #expect(dimensions == nil)
            #expect(isEmpty)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
