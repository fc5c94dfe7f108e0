/// What the worker was doing when it backed off and retried; the `operation` label of the
/// retries metric, so an alert can tell a database outage (batches) from a broker one (publishing).
public enum RetriedOperation: String, Sendable, Hashable, CaseIterable {
    /// Writing a batch of commands' outcomes to the store (or reading what it needs first).
    case batch
    /// Publishing committed events and results, at start-up or after a batch.
    case publish
    /// Writing or publishing a dead letter.
    case deadLetter = "dead_letter"
    /// Reading the stored offsets of newly assigned partitions.
    case readOffsets = "read_offsets"
    /// Migrating the database at start (`DATABASE_MIGRATE`).
    case migrate
}
