import ArgumentParser
import ContactStore
import ContactWorker

/// `contact-worker migrate`: applies the database migrations and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (SQLite or PostgreSQL) and exit.",
        discussion: """
            Safe to run from several processes at once; `run` also migrates at start unless \
            database.migrate (DATABASE_MIGRATE) is false. Older workers keep running on the new schema \
            unless a migration's notes say otherwise (docs/operations.md, Upgrades). Prints the versions applied.
            """
    )

    @OptionGroup var settings: DatabaseOptions

    func run() async throws {
        let databaseURL = try await settings.loadDatabaseURL()
        let store = try await makeContactStore(url: databaseURL, logger: BenchCommand.logger)
        do {
            let before = try await store.appliedMigrations()
            try await store.migrate()
            let after = try await store.appliedMigrations()
            let applied = after.filter { !before.contains($0) }
            say(
                applied.isEmpty
                    ? "\(databaseURL): up to date (schema version \(after.last ?? 0))"
                    : "\(databaseURL): applied migration(s) \(applied.map(String.init).joined(separator: ", ")); schema version \(after.last ?? 0)"
            )
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
