import Configuration
import ContactDomain
import ContactStore
import Foundation
import Kafka
import SystemPackage

/// Everything `contact-worker` reads at start: one YAML file, overridden by environment
/// variables, overridden by flags (docs/contract.md §11).
///
/// Keys are dotted paths; the environment spells them upper-case with underscores, so
/// `kafka.brokers` is `KAFKA_BROKERS` and `database.url` is `DATABASE_URL`. Any other `KAFKA_…`
/// variable is passed through to librdkafka (`KAFKA_SESSION_TIMEOUT_MS=6000` sets
/// `session.timeout.ms`). Validation happens here, once, with one line naming the bad key.
public struct WorkerSettings: Sendable {
    public var kafkaBrokers: String
    public var groupID: String
    public var topics: WorkerTopics
    public var databaseURL: DatabaseURL
    /// The raw `DATABASE_URL`, for messages (never log it: it may hold a password).
    public var databaseURLText: String
    /// Where the token keys come from (one of `JWT_HS256_SECRET`, `JWT_HS256_SECRETS`,
    /// `JWT_PUBLIC_KEY_FILE`, `JWT_JWKS_FILE`).
    public var tokenKeys: TokenKeySource
    /// How often `JWT_JWKS_FILE` is read for changes (`JWT_JWKS_POLL_SECONDS`, default 5); nil
    /// when set to 0: then only SIGHUP reloads it.
    public var jwksPollInterval: Duration?
    public var jwtIssuer: String?
    public var jwtAudience: String?
    public var httpPort: Int
    /// librdkafka properties passed through as they are (`session.timeout.ms`, …).
    public var kafkaProperties: [String: String]
    /// `text` (default) or `json`.
    public var logFormat: String
    public var logLevel: String
    /// Apply migrations when the worker starts (default true).
    public var migrateOnStart: Bool
    /// Commands the consumer may hold in memory before it pauses fetching (default 10,000).
    public var consumerBufferMessages: Int
    /// Bytes of commands (keys, values, headers) the consumer may hold in memory before it pauses
    /// fetching (default 8 MiB).
    public var consumerBufferBytes: Int
    /// The most commands one batch takes (default 1,000, at most ``maximumBatchCommands``). A
    /// smaller batch holds less in memory and costs more CPU per command: each batch has a
    /// transaction and its round trips (docs/decisions/0020-batch-size.md).
    public var batchMaxCommands: Int

    /// The largest ``batchMaxCommands`` the worker accepts.
    public static let maximumBatchCommands = 100_000

    /// The HS256 secret of `config/default.yaml` and `contact-worker dev`: public, so anyone can
    /// mint tokens a worker using it accepts.
    public static let developmentSecret = "dev-only-secret-change-me-0123456789abcdef"

    /// Whether the token key is ``developmentSecret`` (fine for `dev`, never for production).
    public var usesDevelopmentSecret: Bool {
        if case .hs256(let secrets) = tokenKeys { return secrets.contains(Array(Self.developmentSecret.utf8)) }
        return false
    }

    /// Keys that have a meaning of their own; every other `KAFKA_…` variable is a librdkafka property.
    static let reservedKafkaVariables: Set<String> = ["KAFKA_BROKERS", "KAFKA_GROUP_ID"]

    /// Every setting the YAML file and the environment give, as dotted file keys (`kafka.brokers`;
    /// its variable is `KAFKA_BROKERS`). It lists every key ``load(file:environment:overrides:)``
    /// reads: a file key or variable outside it (and outside the `KAFKA_…` librdkafka properties)
    /// is ignored, which is how a misspelled setting goes unnoticed.
    public static let settingKeys: Set<String> = [
        "kafka.brokers", "kafka.group.id",
        "commands.topic", "events.topic", "results.topic", "dlq.topic",
        "database.url", "database.migrate",
        "jwt.hs256.secret", "jwt.hs256.secrets", "jwt.jwks.file", "jwt.jwks.poll.seconds", "jwt.public.key.file",
        "jwt.algorithm", "jwt.issuer", "jwt.audience",
        "http.port", "log.format", "log.level",
        "consumer.buffer.messages", "consumer.buffer.bytes", "batch.max.commands",
    ]

    /// Whether the worker reads the environment variable `name`: the variable of one of
    /// ``settingKeys``, or a `KAFKA_…` librdkafka property. Every other variable is ignored,
    /// including the ones Kubernetes adds for a Service named `kafka` (`KAFKA_SERVICE_HOST`, …).
    public static func reads(environmentVariable name: String) -> Bool {
        if settingKeys.contains(where: { SettingSources.variable(for: $0) == name }) { return true }
        return name.hasPrefix("KAFKA_") && name.count > "KAFKA_".count && !isServiceLink(name)
    }

    /// Loads the settings.
    ///
    /// - Parameters:
    ///   - file: the YAML file; `nil` reads none. A named file that does not exist is an error.
    ///   - environment: the process environment (a parameter so tests can pass their own).
    ///   - overrides: values from flags, by dotted key (`"kafka.brokers"`), highest priority.
    public static func load(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) async throws(ConfigurationError) -> WorkerSettings {
        let sources = SettingSources(environment: environment, overrides: overrides, file: file)
        return try WorkerSettings(reader: try await reader(sources), sources: sources)
    }

    /// Only `DATABASE_URL`, with the same precedence as ``load(file:environment:overrides:)``: for
    /// the subcommands that touch nothing but the database (`migrate`, `interactions`, `history`),
    /// which should not need Kafka or JWT settings.
    public static func loadDatabaseURL(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) async throws(ConfigurationError) -> DatabaseURL {
        let sources = SettingSources(environment: environment, overrides: overrides, file: file)
        let reader = try await reader(sources)
        return try databaseURL(
            try text(reader, "database.url") ?? defaultDatabaseURL, name: sources.name(of: "database.url"))
    }

    /// Only the Kafka connection (brokers, topics, librdkafka properties), with the same
    /// precedence as ``load(file:environment:overrides:)``: for `send`, which needs neither a
    /// database nor a token key.
    public static func loadKafkaConnection(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) async throws(ConfigurationError) -> KafkaConnectionSettings {
        let sources = SettingSources(environment: environment, overrides: overrides, file: file)
        return try kafkaConnection(reader: try await reader(sources), sources: sources)
    }

    private static func databaseURL(_ text: String, name: String) throws(ConfigurationError) -> DatabaseURL {
        do {
            return try DatabaseURL(parsing: text)
        } catch StoreError.invalidURL(_, _, let reason) {
            // StoreError's own description already starts with "DATABASE_URL:".
            throw ConfigurationError(key: name, message: reason)
        } catch {
            throw ConfigurationError(key: name, message: "\(error)")
        }
    }

    /// A setting's value (trimmed; empty counts as unset), else `value`. A list where one value
    /// belongs (`audience: [a, b]` in the file) is an error: read as unset, it would silently
    /// turn the check off.
    static func text(
        _ reader: ConfigReader, _ key: String, default value: String? = nil
    ) throws(ConfigurationError) -> String? {
        let configKey = ConfigKey(key)
        if let found = reader.string(forKey: configKey)?.trimmingCharacters(in: .whitespaces), !found.isEmpty {
            return found
        }
        if reader.stringArray(forKey: configKey) != nil {
            throw ConfigurationError(key: SettingSources.variable(for: key), message: "is a list; it takes one value")
        }
        return value
    }

    private static func required(
        _ reader: ConfigReader, _ key: String, _ variable: String, default value: String? = nil
    ) throws(ConfigurationError) -> String {
        guard let found = try text(reader, key, default: value) else {
            throw ConfigurationError(key: variable, message: "is required")
        }
        return found
    }

    private static func kafkaConnection(
        reader: ConfigReader, sources: SettingSources
    ) throws(ConfigurationError) -> KafkaConnectionSettings {
        let brokers = try required(reader, "kafka.brokers", "KAFKA_BROKERS")
        let named = [
            ("commands.topic", try required(reader, "commands.topic", "COMMANDS_TOPIC", default: "contacts.commands")),
            ("events.topic", try required(reader, "events.topic", "EVENTS_TOPIC", default: "contacts.events")),
            (
                "results.topic",
                try required(reader, "results.topic", "RESULTS_TOPIC", default: "contacts.command-results")
            ),
            ("dlq.topic", try required(reader, "dlq.topic", "DLQ_TOPIC", default: "contacts.commands.dlq")),
        ]
        // One topic for two roles is always a mistake, and with the commands topic a loop: the
        // worker would read its own results (each one a 422 answered by another result).
        for (index, (key, topic)) in named.enumerated() {
            if let earlier = named[..<index].first(where: { $0.1 == topic }) {
                throw ConfigurationError(
                    key: sources.name(of: key),
                    message:
                        "\"\(topic)\" is also \(SettingSources.variable(for: earlier.0)); each topic needs its own name"
                )
            }
        }
        let topics = WorkerTopics(
            commands: named[0].1, events: named[1].1, results: named[2].1, deadLetters: named[3].1)
        return KafkaConnectionSettings(
            brokers: brokers, topics: topics,
            properties: try kafkaProperties(environment: sources.environment, overrides: sources.overrides))
    }

    /// Where the worker keeps its data when nothing else is configured.
    static let defaultDatabaseURL = "sqlite:.contact-worker/worker.sqlite"

    private static func reader(_ sources: SettingSources) async throws(ConfigurationError) -> ConfigReader {
        let (environment, overrides, file) = (sources.environment, sources.overrides, sources.file)
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "flags",
                values: Dictionary(
                    uniqueKeysWithValues: overrides.map {
                        (
                            AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)),
                            ConfigValue(.string($0.value), isSecret: false)
                        )
                    })),
            EnvironmentVariablesProvider(environmentVariables: environment),
        ]
        if let file {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ConfigurationError(key: "--config", message: "no such file: \(file)")
            }
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)))
            } catch {
                throw ConfigurationError(key: "--config", message: "\(file) is not valid YAML: \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    init(reader: ConfigReader, sources: SettingSources) throws(ConfigurationError) {
        func text(_ key: String, default value: String? = nil) throws(ConfigurationError) -> String? {
            try Self.text(reader, key, default: value)
        }
        func required(
            _ key: String, _ variable: String, default value: String? = nil
        ) throws(ConfigurationError) -> String {
            try Self.required(reader, key, variable, default: value)
        }

        let connection = try Self.kafkaConnection(reader: reader, sources: sources)
        kafkaBrokers = connection.brokers
        groupID = try required("kafka.group.id", "KAFKA_GROUP_ID", default: "contact-worker")
        topics = connection.topics

        databaseURLText = try required("database.url", "DATABASE_URL", default: Self.defaultDatabaseURL)
        databaseURL = try Self.databaseURL(databaseURLText, name: sources.name(of: "database.url"))

        tokenKeys = try Self.tokenKeySource(reader: reader, sources: sources)
        jwksPollInterval = try Self.jwksPollInterval(reader: reader, sources: sources)
        jwtIssuer = try text("jwt.issuer")
        jwtAudience = try text("jwt.audience")

        let portText = try required("http.port", "HTTP_PORT", default: "8080")
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw ConfigurationError(
                key: sources.name(of: "http.port"), message: "\"\(portText)\" is not a port number (0–65535)")
        }
        httpPort = port

        logFormat = try required("log.format", "LOG_FORMAT", default: "text")
        guard ["text", "json"].contains(logFormat) else {
            throw ConfigurationError(
                key: sources.name(of: "log.format"), message: "\"\(logFormat)\" is not one of text, json")
        }
        logLevel = try required("log.level", "LOG_LEVEL", default: "info")
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(
                key: sources.name(of: "log.level"), message: "\"\(logLevel)\" is not a log level (trace … critical)")
        }
        let migrate = try required("database.migrate", "DATABASE_MIGRATE", default: "true").lowercased()
        guard let migrateOnStart = ["true": true, "false": false, "1": true, "0": false][migrate] else {
            throw ConfigurationError(
                key: sources.name(of: "database.migrate"), message: "\"\(migrate)\" is not true or false")
        }
        self.migrateOnStart = migrateOnStart
        func positive(_ key: String, _ variable: String, default value: Int) throws(ConfigurationError) -> Int {
            let text = try required(key, variable, default: String(value))
            guard let number = Int(text), number > 0 else {
                throw ConfigurationError(key: sources.name(of: key), message: "\"\(text)\" is not a positive integer")
            }
            return number
        }
        let defaults = KafkaConsumerConfiguration(bootstrapServers: "")
        consumerBufferMessages = try positive(
            "consumer.buffer.messages", "CONSUMER_BUFFER_MESSAGES", default: defaults.bufferCapacity)
        consumerBufferBytes = try positive(
            "consumer.buffer.bytes", "CONSUMER_BUFFER_BYTES", default: defaults.bufferCapacityBytes)
        // Unset, it is the default batch or the consumer's bound, whichever is smaller.
        let batchText = try required(
            "batch.max.commands", "BATCH_MAX_COMMANDS",
            default: String(min(defaults.maxBatchSize, consumerBufferMessages)))
        guard let batch = Int(batchText), (1...Self.maximumBatchCommands).contains(batch) else {
            throw ConfigurationError(
                key: sources.name(of: "batch.max.commands"),
                message: "\"\(batchText)\" is not a number of commands from 1 to \(Self.maximumBatchCommands)")
        }
        // A poll hands the consumer's buffer a batch's worth of commands at once, past its bound.
        guard batch <= consumerBufferMessages else {
            throw ConfigurationError(
                key: sources.name(of: "batch.max.commands"),
                message:
                    "\(batch) is more than the commands the consumer holds (\(sources.name(of: "consumer.buffer.messages")), "
                    + "\(consumerBufferMessages)); raise that too")
        }
        batchMaxCommands = batch

        kafkaProperties = connection.properties
    }

    /// The `KAFKA_*` variables and `kafka.property.*` flags as librdkafka properties, checked by
    /// librdkafka.
    private static func kafkaProperties(
        environment: [String: String], overrides: [String: String]
    ) throws(ConfigurationError) -> [String: String] {
        // Each property with the setting it came from, so an error names what the user wrote.
        var properties: [String: (value: String, source: String)] = [:]
        for (name, value) in environment
        where name.hasPrefix("KAFKA_") && !Self.reservedKafkaVariables.contains(name) && !Self.isServiceLink(name) {
            let property = name.dropFirst("KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !property.isEmpty else { continue }
            properties[property] = (value, name)
        }
        for (key, value) in overrides where key.hasPrefix("kafka.property.") {
            properties[String(key.dropFirst("kafka.property.".count))] = (value, key)
        }
        for (property, setting) in Self.ownedKafkaProperties {
            if let given = properties[property] {
                throw ConfigurationError(
                    key: given.source, message: "sets \(property), which the worker takes from \(setting)")
            }
        }
        for (property, allowed, reason) in Self.guaranteeingKafkaProperties {
            if let given = properties[property], !allowed.contains(given.value.lowercased()) {
                throw ConfigurationError(
                    key: given.source,
                    message:
                        "\(property)=\(given.value) is not allowed: \(reason) (allowed: \(allowed.joined(separator: ", ")))"
                )
            }
        }
        if let (property, reason) = KafkaConfiguration.firstRejected(properties.mapValues(\.value)),
            let given = properties[property]
        {
            throw ConfigurationError(
                key: given.source, message: "librdkafka rejects \(property)=\"\(given.value)\": \(reason)")
        }
        return properties.mapValues(\.value)
    }

    /// librdkafka properties the worker sets from settings of its own; passing them through too
    /// would make two settings fight over one value.
    static let ownedKafkaProperties = [
        ("bootstrap.servers", "KAFKA_BROKERS (kafka.brokers, --brokers)"),
        ("group.id", "KAFKA_GROUP_ID (kafka.group.id, --group-id)"),
    ]

    /// librdkafka properties the delivery guarantees rest on (docs/contract.md §9), with the values that keep
    /// them. Anything else is refused at start rather than quietly weakening them.
    static let guaranteeingKafkaProperties: [(property: String, allowed: [String], reason: String)] = [
        (
            "enable.idempotence", ["true"],
            "the producer must be idempotent, or a retried send can duplicate or reorder a contact's events"
        ),
        ("acks", ["all", "-1"], "a broker could lose an event the worker has already deleted from its outbox"),
        (
            "request.required.acks", ["all", "-1"],
            "a broker could lose an event the worker has already deleted from its outbox"
        ),
        (
            "enable.auto.offset.store", ["false"],
            "offsets must be stored only once a batch is written and published, or a crash skips commands"
        ),
    ]

    /// Whether `name` is one of the variables Kubernetes adds for a Service named `kafka`
    /// (`KAFKA_PORT`, `KAFKA_PORT_9092_TCP_ADDR`, `KAFKA_SERVICE_HOST`, …): never librdkafka
    /// properties, and present in any pod of that namespace unless service links are disabled.
    static func isServiceLink(_ name: String) -> Bool {
        name == "KAFKA_PORT" || name.hasPrefix("KAFKA_PORT_") || name.hasPrefix("KAFKA_SERVICE_")
    }

    static func looksLikeRSA(_ pem: String) -> Bool {
        // SPKI PEMs do not name the algorithm; RSA keys are far longer than EC P-256 ones.
        pem.filter { !$0.isWhitespace }.count > 300
    }
}

/// A configuration problem, reported as one line that names the key.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The environment variable or flag at fault.
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}
