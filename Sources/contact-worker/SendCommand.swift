import ArgumentParser
import ContactWorker
import Foundation
import Kafka

/// `contact-worker send`: publishes one command, optionally waiting for its result.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Publish one command (from flags or a JSON file) and optionally wait for its result.",
        discussion: """
            Reads the Kafka connection like `run` does (config file, then environment, then flags: \
            KAFKA_BROKERS, COMMANDS_TOPIC, RESULTS_TOPIC and KAFKA_* librdkafka properties). \
            Example: contact-worker send --brokers 127.0.0.1:9092 --token "$TOKEN" --business acme \\
              --contact 550e8400-e29b-41d4-a716-446655440001 --type AddInteraction \\
              --payload '{"type":"call","description":"Intro call"}' --wait
            """
    )

    @Option(help: "Configuration file (YAML); environment variables and flags override it.")
    var config: String?

    @Option(help: "Kafka bootstrap servers (KAFKA_BROKERS).")
    var brokers: String?

    @Option(name: .customLong("kafka-property"), help: "A librdkafka property as key=value; repeatable.")
    var kafkaProperties: [String] = []

    @Option(
        help:
            "A JSON file holding the whole command envelope (instead of --type, --business, --contact, --payload and --command-id)."
    )
    var file: String?

    @Option(help: "Command type: CreateContact, AddInteraction or UpdateStatus.")
    var type: String?

    @Option(help: "Business id.")
    var business: String?

    @Option(help: "Contact id (UUID).")
    var contact: String?

    @Option(help: "The payload as JSON.")
    var payload: String = "{}"

    @Option(name: .customLong("command-id"), help: "Command id (default: a new UUID).")
    var commandID: String?

    @Option(help: "Bearer token for the authorization header.")
    var token: String?

    @Option(name: .customLong("correlation-id"), help: "Correlation id echoed in the result.")
    var correlationID: String?

    @Option(help: "Commands topic (COMMANDS_TOPIC).")
    var topic: String?

    @Option(name: .customLong("results-topic"), help: "Results topic (RESULTS_TOPIC), for --wait.")
    var resultsTopic: String?

    @Flag(help: "Wait (up to 30 s) for the command's result and print it.")
    var wait = false

    func validate() throws {
        // With --file the envelope is the file's: an envelope flag beside it would be ignored.
        let envelopeFlags = [
            ("--type", type != nil), ("--business", business != nil), ("--contact", contact != nil),
            ("--payload", payload != "{}"), ("--command-id", commandID != nil),
        ].filter(\.1).map(\.0)
        if file != nil, !envelopeFlags.isEmpty {
            throw ValidationError("--file holds the whole envelope; drop \(envelopeFlags.joined(separator: ", "))")
        }
    }

    func run() async throws {
        var overrides = try SettingsOptions.kafkaPropertyOverrides(kafkaProperties)
        if let brokers { overrides["kafka.brokers"] = brokers }
        if let topic { overrides["commands.topic"] = topic }
        if let resultsTopic { overrides["results.topic"] = resultsTopic }
        let connection = try await WorkerSettings.loadKafkaConnection(
            file: SettingsOptions.configFile(config), overrides: overrides)
        let commandsTopic = connection.topics.commands
        let (value, commandID, contactID) = try envelope()

        let resultsReader: KafkaConsumer?
        let resultsTopic = connection.topics.results
        if wait {
            // Start reading results before sending, from the end, so the answer cannot be missed.
            let reader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(connection.kafka))
            let partitions = try await reader.partitions(of: resultsTopic)
            try await reader.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.end) }))
            resultsReader = reader
        } else {
            resultsReader = nil
        }

        var headers: [KafkaHeader] = []
        if let token { headers.append(KafkaHeader(name: "authorization", string: "Bearer \(token)")) }
        if let correlationID { headers.append(KafkaHeader(name: "correlation-id", string: correlationID)) }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(connection.kafka))
        let report = try await producer.send(
            KafkaOutgoingMessage(
                topic: commandsTopic, key: contactID.map { Array($0.utf8) }, value: value, headers: headers))
        await producer.shutdown()
        print(
            "sent command \(commandID) to \(commandsTopic)[\(report.partition)]@\(report.offset.map(String.init) ?? "?")"
        )

        guard let reader = resultsReader else { return }
        let deadline = ContinuousClock.now + .seconds(30)
        // The worker answers with a UUID command id in lower case, however it was sent.
        let answered = UUID(uuidString: commandID).map { $0.uuidString.lowercased() } ?? commandID
        let needle = Array("\"command_id\":\"\(answered)\"".utf8)
        let found: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await batch in reader.batches {
                    for message in batch where message.value.firstRange(of: needle) != nil {
                        return String(decoding: message.value, as: UTF8.self)
                    }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        await reader.close()
        guard let found else {
            throw ValidationError("no result for \(commandID) on \(resultsTopic) within 30 s (is the worker running?)")
        }
        print(found)
    }

    /// The value bytes, the command id and the contact id (the Kafka key).
    private func envelope() throws -> ([UInt8], String, String?) {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--file: cannot read \(file)")
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let commandID = object["command_id"] as? String
            else {
                throw ValidationError("--file: \(file) is not a JSON object with a string command_id")
            }
            return (Array(data), commandID, object["contact_id"] as? String)
        }
        guard let type, let business, let contact else {
            throw ValidationError("give --file, or all of --type, --business and --contact")
        }
        guard let payloadObject = try? JSONSerialization.jsonObject(with: Data(payload.utf8)),
            payloadObject is [String: Any]
        else {
            throw ValidationError("--payload: not a JSON object: \(payload)")
        }
        let commandID = self.commandID ?? UUID().uuidString.lowercased()
        let object: [String: Any] = [
            "command_id": commandID, "type": type, "business_id": business, "contact_id": contact,
            "payload": payloadObject,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return (Array(data), commandID, contact)
    }
}
