import Testing

@testable import ContactStore

@Suite("PostgreSQL errors: which ones the worker waits out")
struct PostgresErrorKindTests {
    @Test(
        "states a healthy server passes through, and faults only an operator can fix, are retried, never dead-lettered",
        arguments: [
            ("40001", PostgresContactStore.ServerErrorKind.transientConflict),  // serialization failure
            ("40P01", .transientConflict),  // deadlock
            ("55P03", .transientConflict),  // lock not available
            ("08006", .unavailable),  // connection failure
            ("57P01", .unavailable),  // admin shutdown
            ("57P03", .unavailable),  // cannot connect now (starting up)
            ("57014", .unavailable),  // statement timeout
            ("25006", .unavailable),  // read-only transaction (a failover in progress)
            ("28P01", .unavailable),  // password rejected (a rotation in progress)
            ("53100", .unavailable),  // disk full
            ("53300", .unavailable),  // too many connections
            ("58030", .unavailable),  // I/O error
            ("42501", .unavailable),  // insufficient privilege (a GRANT missing): an operator's fix, no command's fault
            ("42P01", .unavailable),  // undefined table
        ])
    func retriable(sqlState: String, kind: PostgresContactStore.ServerErrorKind) {
        #expect(PostgresContactStore.serverErrorKind(sqlState: sqlState) == kind)
    }

    @Test(
        "broken data and unknown failures are not retried",
        arguments: [
            ("23505", PostgresContactStore.ServerErrorKind.constraintViolation),  // unique violation
            ("23503", .constraintViolation),  // foreign key violation
            ("22021", .unexpected),  // character not in repertoire (a NUL in text)
            ("54000", .unexpected),  // program limit exceeded
            ("", .unexpected),
        ])
    func notRetriable(sqlState: String, kind: PostgresContactStore.ServerErrorKind) {
        #expect(PostgresContactStore.serverErrorKind(sqlState: sqlState) == kind)
    }
}
