import ArgumentParser

/// `contact-worker dlq`: inspects and re-drives the dead-letter topic.
struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect and re-drive the dead-letter topic.",
        subcommands: [List.self, Redrive.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters: offset, time, reason and a preview of the value.")

        @Option(help: "At most this many entries.")
        var limit: Int = 50

        func run() async throws {
            throw NotYetAvailable(command: "dlq list", issue: 6)
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-publish dead letters to the commands topic, recording where they came from.")

        @Option(help: "Re-drive the dead letter at this offset.")
        var offset: Int64?

        @Flag(help: "Re-drive every dead letter.")
        var all = false

        func run() async throws {
            throw NotYetAvailable(command: "dlq redrive", issue: 6)
        }
    }
}
