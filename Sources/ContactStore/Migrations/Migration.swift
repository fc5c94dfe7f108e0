/// One numbered step of the schema, written once per SQL dialect.
///
/// Both backends run the same numbered list (``SchemaMigrations/all``), so a version number means
/// the same schema everywhere; `schema_migrations` records which versions a database has.
struct Migration: Sendable {
    /// Position in the list, starting at 1; never reused or renumbered once released.
    var version: Int
    /// A short name, recorded next to the version; a mismatch means the build and database disagree.
    var name: String
    /// The statements for SQLite, run in order in one transaction.
    var sqlite: [String]
    /// The statements for PostgreSQL, run in order in one transaction.
    var postgres: [String]
    /// Work the statements cannot express, done by each backend in code after the statements, in
    /// the same transaction.
    var dataStep: DataStep? = nil

    /// A data conversion written in Swift, implemented by every backend.
    enum DataStep: Sendable {
        /// Moves the rows of the per-message `outbox` table, in sequence order, into packed rows of
        /// `outbox_batches` (see `OutboxPacking`), then drops `outbox`.
        case packLegacyOutbox
    }
}
