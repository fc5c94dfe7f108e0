import ArgumentParser

/// `contact-worker replay`: re-processes a range of the commands topic through the pipeline.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-process a range of the commands topic without touching the group's offsets.",
        discussion: "Commands are idempotent: replaying processed commands changes nothing and reports them as duplicates."
    )

    @Option(name: .customLong("from-offset"), help: "First offset to replay.")
    var fromOffset: Int64?

    @Option(name: .customLong("from-time"), help: "First message time to replay (RFC 3339).")
    var fromTime: String?

    @Option(name: .customLong("to-offset"), help: "Last offset to replay (inclusive).")
    var toOffset: Int64?

    @Option(name: .customLong("to-time"), help: "Last message time to replay (RFC 3339).")
    var toTime: String?

    @Option(help: "Only this partition (default: all).")
    var partition: Int32?

    @Flag(name: .customLong("dry-run"), help: "Print what would happen without writing anything.")
    var dryRun = false

    func run() async throws {
        throw NotYetAvailable(command: "replay", issue: 6)
    }
}
