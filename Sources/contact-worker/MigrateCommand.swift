import ArgumentParser

/// `contact-worker migrate`: applies the database migrations and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (SQLite or PostgreSQL) and exit."
    )

    @Option(help: "Configuration file (YAML).")
    var config: String = "config/default.yaml"

    @Option(name: .customLong("database-url"), help: "sqlite:<path> or postgres://user:pass@host:port/db (DATABASE_URL).")
    var databaseURL: String?

    func run() async throws {
        throw NotYetAvailable(command: "migrate", issue: 4)
    }
}
