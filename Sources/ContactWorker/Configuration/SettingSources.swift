/// Where ``WorkerSettings`` reads from, so that a bad value is named the way the user gave it:
/// `--http-port` for a flag, `HTTP_PORT` for the environment, `http.port in FILE` for the file.
struct SettingSources: Sendable {
    /// The environment, without empty values (an empty variable counts as unset).
    var environment: [String: String]
    /// Flag values by dotted key, without empty values.
    var overrides: [String: String]
    /// The YAML file, if one is read.
    var file: String?

    init(environment: [String: String], overrides: [String: String], file: String?) {
        self.environment = Self.setValues(environment)
        self.overrides = Self.setValues(overrides)
        self.file = file
    }

    /// The values that are set: an empty (or blank) variable or flag counts as unset, so the
    /// next source answers. `DATABASE_URL=` from an unset `${DATABASE_URL}` in a compose file
    /// must fall back to the config file's URL, not to the built-in SQLite default.
    private static func setValues(_ values: [String: String]) -> [String: String] {
        values.filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// The flags of the CLI that set a dotted key.
    static let flags = [
        "kafka.brokers": "--brokers", "kafka.group.id": "--group-id", "database.url": "--database-url",
        "http.port": "--http-port", "commands.topic": "--topic", "results.topic": "--results-topic",
    ]

    /// The environment variable of a dotted key (`jwt.audience` → `JWT_AUDIENCE`).
    static func variable(for key: String) -> String {
        key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// The setting `key` as the source that gave its value spells it (highest precedence first).
    func name(of key: String) -> String {
        if overrides[key] != nil { return Self.flags[key] ?? key }
        let variable = Self.variable(for: key)
        if environment[variable] != nil { return variable }
        if let file { return "\(key) in \(file)" }
        return variable
    }
}
