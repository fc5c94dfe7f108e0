import ArgumentParser

/// `contact-worker`: the contact command worker and its operator tooling.
@main
struct ContactWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact-worker",
        abstract:
            "Consumes contact commands from Kafka, applies the contact rules, stores the result and publishes events and results.",
        discussion: """
            Configuration comes from a YAML file (--config, default config/default.yaml), overridden by \
            environment variables (KAFKA_BROKERS, DATABASE_URL, …), overridden by flags.
            """,
        subcommands: [
            RunCommand.self,
            DevCommand.self,
            MigrateCommand.self,
            ReplayCommand.self,
            DLQCommand.self,
            RepublishCommand.self,
            InteractionsCommand.self,
            HistoryCommand.self,
            TokenCommand.self,
            SendCommand.self,
            BenchCommand.self,
            MockClusterCommand.self,
        ]
    )
}
