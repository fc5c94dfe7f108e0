/// A failure of the contact store, classified so the worker knows whether to retry.
///
/// Every case names the database (its URL without the password) and carries the underlying
/// driver message, so the log line alone tells an operator what to fix. ``isRetriable`` is the
/// one property the worker's retry loop needs: retriable errors are retried with capped
/// exponential backoff (readiness reports not-ready meanwhile); the others are bugs or
/// configuration problems that retrying cannot fix.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `DATABASE_URL` (or another key) does not parse. `value` is the offending value with any
    /// password masked; `reason` says what is wrong and what would be right, quoting the value.
    case invalidURL(key: String, value: String, reason: String)
    /// The database cannot be reached or went away (connection refused or closed, server shutting
    /// down, pool could not lease a connection in time, file not openable). Retriable.
    case unavailable(database: String, underlying: String)
    /// The transaction lost a race (serialization failure, deadlock, lock timeout, SQLite busy).
    /// Retriable: running the same transaction again is expected to succeed.
    case transientConflict(database: String, underlying: String)
    /// A row broke a constraint (duplicate id, CHECK, foreign key); the whole batch was rolled back.
    /// Not retriable: the same batch would fail again.
    case constraintViolation(database: String, constraint: String?, underlying: String)
    /// The database schema does not match this build's migrations (unknown or renamed version).
    /// Not retriable: deploy the matching build or migrate.
    case migrationMismatch(database: String, detail: String)
    /// A stored row could not be turned back into a model value (unknown enum value, bad UUID).
    /// Not retriable.
    case corruptRow(database: String, table: String, detail: String)
    /// The store was closed and cannot be used any more.
    case closed(database: String)
    /// Another worker took over these partitions of `topic` (their owner epoch moved past the one
    /// the batch was taken under), so the batch was rolled back whole: this worker must drop the
    /// partitions and publish nothing of the batch. Not retriable: the new owner decides those
    /// commands.
    case fenced(database: String, topic: String, partitions: [Int32])
    /// Any other database error; not retriable, since its cause is unknown.
    case unexpected(database: String, underlying: String)

    /// Whether running the same call again later can succeed without anyone changing anything.
    public var isRetriable: Bool {
        switch self {
        case .unavailable, .transientConflict:
            return true
        case .invalidURL, .constraintViolation, .migrationMismatch, .corruptRow, .closed, .fenced, .unexpected:
            return false
        }
    }

    /// One line an operator can act on.
    public var description: String {
        switch self {
        case .invalidURL(let key, let value, let reason):
            _ = value
            return "\(key): \(reason)"
        case .unavailable(let database, let underlying):
            return "database \(database) is unavailable: \(underlying) (will retry)"
        case .transientConflict(let database, let underlying):
            return "database \(database): transaction conflict: \(underlying) (will retry)"
        case .constraintViolation(let database, let constraint, let underlying):
            let name = constraint.map { " \"\($0)\"" } ?? ""
            return "database \(database): constraint\(name) violated, batch rolled back: \(underlying)"
        case .migrationMismatch(let database, let detail):
            return "database \(database): schema does not match this build: \(detail)"
        case .corruptRow(let database, let table, let detail):
            return "database \(database): unreadable row in \(table): \(detail)"
        case .closed(let database):
            return "database \(database): the store was closed"
        case .fenced(let database, let topic, let partitions):
            let list = partitions.map(String.init).joined(separator: ", ")
            return "database \(database): partitions \(list) of \(topic) were taken over by another worker; "
                + "the batch was rolled back and its commands are left to the new owner"
        case .unexpected(let database, let underlying):
            return "database \(database): \(underlying)"
        }
    }
}

extension StoreError {
    /// Whether a store reports `error` as it is: it is already a ``StoreError``, or a cancellation,
    /// which callers tell apart from failures.
    static func passesThrough(_ error: any Error) -> Bool {
        error is StoreError || error is CancellationError
    }
}
