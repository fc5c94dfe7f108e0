import Logging

/// The SQL dialect of a backend, choosing each ``Migration``'s statements.
enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// What migrating one database takes: the steps both backends carry out, in order, in one
/// transaction, and the versions they apply.
///
/// The plan is the shared migration algorithm; a backend only runs a statement, a data step or a
/// record, so both apply the same statements in the same order and record versions the same way.
struct MigrationPlan: Equatable, Sendable {
    /// One thing to do, in the backend's dialect.
    enum Step: Equatable, Sendable {
        /// Run one statement.
        case execute(String)
        /// Run a data step written in Swift (see ``Migration/DataStep``).
        case dataStep(Migration.DataStep)
        /// Record `version` as applied, under `name`, in `schema_migrations`.
        case record(version: Int, name: String)
    }

    /// The steps, in the order they must run.
    var steps: [Step]
    /// The versions the steps apply, ascending; empty when the database is up to date.
    var versions: [Int]

    /// The plan that brings a database with `applied` migrations (read from `schema_migrations`)
    /// up to and including version `target`, after checking `applied` against this build's list.
    ///
    /// - Throws: ``StoreError/migrationMismatch(database:detail:)`` when the database has a
    ///   migration this build does not know, or one under another name.
    init(
        applied: [(version: Int, name: String)], dialect: SQLDialect, database: String,
        through target: Int = SchemaMigrations.latestVersion
    ) throws(StoreError) {
        let pending = try SchemaMigrations.pending(applied: applied, database: database, through: target)
        var steps: [Step] = []
        for migration in pending {
            let statements = dialect == .sqlite ? migration.sqlite : migration.postgres
            steps += statements.map(Step.execute)
            if let dataStep = migration.dataStep { steps.append(.dataStep(dataStep)) }
            steps.append(.record(version: migration.version, name: migration.name))
        }
        self.steps = steps
        self.versions = pending.map(\.version)
    }

    /// Logs the versions a run applied, if any.
    func logApplied(database: String, logger: Logger) {
        guard !versions.isEmpty else { return }
        logger.info("applied migrations", metadata: ["database": "\(database)", "versions": "\(versions)"])
    }
}
