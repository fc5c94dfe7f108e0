import ArgumentParser
import ContactStore
import ContactWorker

/// The flags of the subcommands that touch nothing but the database (`migrate`,
/// `interactions`, `history`): they need no Kafka or JWT settings, so they offer no such flags.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML); environment variables and flags override it.")
    var config: String?

    @Option(
        name: .customLong("database-url"), help: "sqlite:<path> or postgres://user:pass@host:port/db (DATABASE_URL).")
    var databaseURL: String?

    /// `DATABASE_URL` from the flag, the environment or the config file, in that order.
    func loadDatabaseURL() async throws -> DatabaseURL {
        try await WorkerSettings.loadDatabaseURL(
            file: SettingsOptions.configFile(config), overrides: databaseURL.map { ["database.url": $0] } ?? [:])
    }
}
