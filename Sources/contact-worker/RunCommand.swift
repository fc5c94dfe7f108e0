import ArgumentParser
import ContactWorker
import Logging

/// `contact-worker run`: the long-running worker.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker: consume commands, apply them, publish events and results.",
        discussion: """
            Settings come from --config (YAML), then the environment (KAFKA_BROKERS, KAFKA_GROUP_ID, \
            COMMANDS_TOPIC, EVENTS_TOPIC, RESULTS_TOPIC, DLQ_TOPIC, DATABASE_URL, one of JWT_HS256_SECRET, \
            JWT_HS256_SECRETS, JWT_PUBLIC_KEY_FILE with JWT_ALGORITHM and JWT_JWKS_FILE, JWT_ISSUER, JWT_AUDIENCE, \
            HTTP_PORT, LOG_FORMAT, LOG_LEVEL, DATABASE_MIGRATE), then flags; an empty variable counts as unset. \
            Any other KAFKA_* variable sets a librdkafka property: KAFKA_SESSION_TIMEOUT_MS=6000 sets \
            session.timeout.ms. SIGTERM or SIGINT stops it gracefully; SIGHUP re-reads JWT_JWKS_FILE.
            """
    )

    @OptionGroup var options: SettingsOptions

    func run() async throws {
        let settings = try await options.load()
        let logger = WorkerLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
        if settings.usesDevelopmentSecret {
            // config/default.yaml is read when run starts in the repository without --config.
            logger.warning(
                "JWT_HS256_SECRET is the public development secret of config/default.yaml: anyone can mint tokens this worker accepts; set your own secret, JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE"
            )
        }
        try await WorkerApplication(settings: settings, logger: logger).run()
    }
}
