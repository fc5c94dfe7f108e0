import ArgumentParser
import ContactWorker
import Foundation
import Kafka

/// `contact-worker bench load`: the load and result clients of `scripts/bench-worker.sh`, in a
/// process of their own so that the worker's CPU time is the worker's alone.
///
/// Without `--rate` it produces a backlog (`--contacts` CreateContact, then `--count`
/// AddInteraction; only the AddInteraction with `--existing-contacts`) and exits once the broker
/// has acknowledged all of it. With `--rate` it sends
/// AddInteraction commands at that rate for `--seconds` to contacts an earlier backlog created,
/// reads their results, and prints the produce-to-result latency.
struct BenchLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Produce benchmark commands: a backlog, or a fixed rate with produce-to-result latency.",
        discussion: """
            Contact ids are numbered (the same --contacts in every run), and tokens are HS256 with --secret, one \
            user each, so the worker must run with JWT_HS256_SECRET set to the same secret.
            """
    )

    @Option(help: "Bootstrap servers, host:port[,host:port…].")
    var brokers: String

    @Option(help: "The commands topic.")
    var topic = WorkerTopics().commands

    @Option(help: "The results topic (read with --rate).")
    var resultsTopic = WorkerTopics().results

    @Option(help: "Contacts the commands are spread over (the backlog creates them first).")
    var contacts = 2_000

    @Option(help: "AddInteraction commands in the backlog.")
    var count = 60_000

    @Flag(help: "The contacts exist (an earlier backlog created them): produce only the AddInteraction commands.")
    var existingContacts = false

    @Option(help: "Distinct senders, each with a token of its own.")
    var tokens = 200

    @Option(help: "The HS256 secret the tokens are signed with.")
    var secret = BenchEndToEndCommand.secret

    @Option(help: "Commands per second: send at this rate and measure latency instead of producing a backlog.")
    var rate: Int?

    @Option(help: "Duration of the rate run, in seconds.")
    var seconds = 10

    func validate() throws {
        guard contacts > 0, count >= 0, tokens > 0, seconds > 0 else {
            throw ValidationError("--contacts, --tokens and --seconds must be positive, --count at least 0")
        }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if rate != nil, existingContacts {
            throw ValidationError("--existing-contacts is for a backlog; a --rate run creates no contacts anyway")
        }
    }

    func run() async throws {
        let minted = try await (0..<tokens).asyncMap { user in
            try await TokenCommand.mint(
                secret: secret, sub: "bench-\(user)", name: "Bench User \(user)",
                business: BenchEndToEndCommand.business, role: "employee", ttl: 3_600)
        }
        let builder = BenchCommandBuilder(topic: topic, business: BenchEndToEndCommand.business, tokens: minted)
        let contactIDs = (0..<contacts).map(Self.contactID)
        if let rate {
            let results = try await BenchResultsReader(bootstrap: brokers, topic: resultsTopic, from: .end)
            let latency = BenchLatencyRun(
                bootstrap: brokers, builder: builder, contactIDs: contactIDs, firstIndex: count, rate: rate,
                seconds: seconds)
            let report = try await latency.run(results: results)
            await results.close()
            say(report)
            return
        }
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(MockCluster.configuration(brokers)), logger: BenchCommand.logger)
        let start = ContinuousClock.now
        try await builder.sendBacklog(
            contactIDs: contactIDs, creatingContacts: !existingContacts, count: count, with: producer)
        await producer.shutdown()
        let created = existingContacts ? 0 : contacts
        say(
            "produced \(created + count) commands (\(created) CreateContact + \(count) AddInteraction) in \(BenchCommand.seconds(start.duration(to: .now))) s"
        )
    }

    /// The id of the `index`th benchmark contact: the same in every run, so a rate run can address
    /// the contacts an earlier backlog created.
    static func contactID(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }
}
