import ArgumentParser
import Foundation
import ContactStore
import ContactWorker

/// The flags every subcommand that talks to Kafka or the database shares; each overrides the
/// environment variable of the same meaning, which overrides the config file.
struct SettingsOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML); environment variables and flags override it.")
    var config: String?

    @Option(help: "Kafka bootstrap servers (KAFKA_BROKERS).")
    var brokers: String?

    @Option(name: .customLong("group-id"), help: "Consumer group (KAFKA_GROUP_ID, default contact-worker).")
    var groupID: String?

    @Option(
        name: .customLong("database-url"), help: "sqlite:<path> or postgres://user:pass@host:port/db (DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("http-port"), help: "Port of the HTTP read side, health and metrics (HTTP_PORT).")
    var httpPort: Int?

    @Option(name: .customLong("kafka-property"), help: "A librdkafka property as key=value; repeatable.")
    var kafkaProperties: [String] = []

    /// The config file to read: the flag, else `config/default.yaml` when it exists.
    var configFile: String? { Self.configFile(config) }

    /// `flag`, else `config/default.yaml` when it exists (shared with `send`).
    static func configFile(_ flag: String?) -> String? {
        if let flag { return flag }
        return FileManager.default.fileExists(atPath: "config/default.yaml") ? "config/default.yaml" : nil
    }

    /// `--kafka-property key=value` flags as `kafka.property.<key>` overrides (shared with `send`).
    static func kafkaPropertyOverrides(_ properties: [String]) throws -> [String: String] {
        var overrides: [String: String] = [:]
        for property in properties {
            guard let equals = property.firstIndex(of: "=") else {
                throw ValidationError("--kafka-property: \"\(property)\" is not key=value")
            }
            overrides["kafka.property.\(property[..<equals])"] = String(property[property.index(after: equals)...])
        }
        return overrides
    }

    func load() async throws -> WorkerSettings {
        try await WorkerSettings.load(file: configFile, overrides: overrides())
    }

    private func overrides() throws -> [String: String] {
        var overrides = try Self.kafkaPropertyOverrides(kafkaProperties)
        if let brokers { overrides["kafka.brokers"] = brokers }
        if let groupID { overrides["kafka.group.id"] = groupID }
        if let databaseURL { overrides["database.url"] = databaseURL }
        if let httpPort { overrides["http.port"] = String(httpPort) }
        return overrides
    }
}

extension DatabaseURL {
    /// For commands that only read: fails when an SQLite file does not exist, instead of
    /// creating an empty database and then failing with "no such table".
    func requireExistingSQLiteFile() throws {
        if case .sqlite(let settings) = self, let path = settings.path, !FileManager.default.fileExists(atPath: path) {
            throw OperatorError("no database at \(path) (DATABASE_URL); the worker creates it when it first starts")
        }
    }
}
