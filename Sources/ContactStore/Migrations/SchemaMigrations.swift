import ContactDomain

/// The schema, as an ordered list of migrations shared by both backends.
///
/// Append new migrations at the end; never edit a released one (a database that already ran it
/// would silently differ). Timestamps are INTEGER microseconds since the epoch in SQLite and
/// `timestamptz` (also microseconds) in PostgreSQL; both round-trip a ``Timestamp`` exactly.
enum SchemaMigrations {
    /// Every migration, in version order.
    static let all: [Migration] = [
        initialSchema, contactsFillFactor, processedCommandsInArrivalOrder, outboxInBatches, firstStoredOffsets,
        recordingOrder, outboxSourcePartitions, ownerEpochsAndContactVersions, idsUniqueByConstruction,
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { all.last?.version ?? 0 }

    /// Checks that the applied versions read from `schema_migrations` are a prefix of ``all`` and
    /// returns the migrations still to run, up to and including version `target`.
    static func pending(
        applied: [(version: Int, name: String)], database: String, through target: Int = latestVersion
    ) throws(StoreError) -> [Migration] {
        let known = Dictionary(uniqueKeysWithValues: all.map { ($0.version, $0) })
        for row in applied {
            guard let migration = known[row.version] else {
                throw .migrationMismatch(
                    database: database,
                    detail: "the database has migration \(row.version) \"\(row.name)\" but this build only knows up to "
                        + "\(latestVersion); run a build at least as new as the one that migrated it")
            }
            guard migration.name == row.name else {
                throw .migrationMismatch(
                    database: database,
                    detail: "migration \(row.version) is \"\(row.name)\" in the database but \"\(migration.name)\" "
                        + "in this build")
            }
        }
        let done = Set(applied.map(\.version))
        return all.filter { !done.contains($0.version) && $0.version <= target }
    }

    // MARK: - Shared CHECK lists

    static func list(_ values: [String]) -> String {
        values.map { "'\($0)'" }.joined(separator: ", ")
    }

    static let statuses = list(RelationshipStatus.allCases.map(\.rawValue))
    static let stages = list(LifecycleStage.allCases.map(\.rawValue))
    static let interactionTypes = list(InteractionType.allCases.map(\.rawValue))
}
