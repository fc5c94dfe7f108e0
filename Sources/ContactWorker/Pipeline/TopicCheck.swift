import Kafka

/// One reading of the worker's four topics from cluster metadata, and what it means: whether the
/// worker can work with them (``problem``, the readiness reason while one is missing) and the
/// mismatches worth a warning. Pure, so it is tested without a broker; ``TopicWatch`` does the
/// reading.
public struct TopicCheck: Sendable, Equatable {
    /// A setting of the topics that works but is probably not what the operator wants.
    public enum MismatchKind: String, Sendable, Hashable, CaseIterable {
        /// The events topic has fewer partitions than the commands topic.
        case eventsPartitions = "events_partitions"
        /// The results topic has fewer partitions than the commands topic.
        case resultsPartitions = "results_partitions"
        /// The dead-letter topic keeps messages for a shorter time than the commands topic.
        case deadLetterRetention = "dead_letter_retention"
    }

    /// One mismatch, with the numbers behind it (for the log line).
    public struct Mismatch: Sendable, Equatable {
        public var kind: MismatchKind
        /// A sentence naming the topics and the numbers.
        public var message: String
        /// The numbers, as log metadata.
        public var details: [String: String]
    }

    /// Why the worker cannot work with its topics (a topic missing or unusable), naming the
    /// topics and the brokers; nil when all four exist.
    public var problem: String?
    /// How many of the four topics are missing or unusable.
    public var unusableTopics: Int
    /// The mismatches found among the kinds in ``checkedKinds``.
    public var mismatches: [Mismatch]
    /// The kinds this reading could decide: the partition kinds once the topics exist, the
    /// retention kind only when the brokers reported both retentions.
    public var checkedKinds: Set<MismatchKind>

    /// Evaluates a Metadata answer about `topics`.
    public init(topics: WorkerTopics, metadata: KafkaClusterMetadata) {
        var missing: [String] = []
        var unusable: [String] = []
        var partitions: [WorkerTopics.Role: Int] = [:]
        for role in WorkerTopics.Role.allCases {
            let name = topics[role]
            let described = "\(role.label) \"\(name)\""
            guard let description = metadata[topic: name], !description.doesNotExist else {
                missing.append(described)
                continue
            }
            if let error = description.error {
                unusable.append("\(described) cannot be used: \(error)")
                continue
            }
            partitions[role] = description.partitionCount
        }
        var parts: [String] = []
        if !missing.isEmpty {
            let brokers = metadata.brokers.isEmpty ? "(none listed)" : metadata.brokers.joined(separator: ",")
            parts.append("\(Self.list(missing)) \(missing.count == 1 ? "does" : "do") not exist on brokers \(brokers)")
        }
        parts += unusable
        problem = parts.isEmpty ? nil : parts.joined(separator: "; ")
        unusableTopics = missing.count + unusable.count
        mismatches = []
        checkedKinds = []
        guard problem == nil, let commands = partitions[.commands] else { return }
        for (role, kind) in [(WorkerTopics.Role.events, MismatchKind.eventsPartitions), (.results, .resultsPartitions)]
        {
            checkedKinds.insert(kind)
            guard let count = partitions[role], count < commands else { continue }
            mismatches.append(
                Mismatch(
                    kind: kind,
                    message:
                        "\(role.label) \"\(topics[role])\" has \(count) partition\(count == 1 ? "" : "s"), fewer than the \(commands) of commands topic \"\(topics.commands)\"",
                    details: ["partitions": "\(count)", "commands_partitions": "\(commands)"]))
        }
    }

    /// Adds the retention comparison from the topics' configurations (`retention.ms`; `-1` keeps
    /// messages forever). Without both values the kind stays unchecked.
    public mutating func compareRetention(topics: WorkerTopics, configurations: [String: [String: String]]) {
        guard problem == nil,
            let commands = configurations[topics.commands]?["retention.ms"].flatMap(Int64.init),
            let deadLetters = configurations[topics.deadLetters]?["retention.ms"].flatMap(Int64.init)
        else { return }
        checkedKinds.insert(.deadLetterRetention)
        let shorter = deadLetters >= 0 && (commands < 0 || deadLetters < commands)
        guard shorter else { return }
        func text(_ milliseconds: Int64) -> String { milliseconds < 0 ? "forever" : "for \(milliseconds) ms" }
        mismatches.append(
            Mismatch(
                kind: .deadLetterRetention,
                message:
                    "dead-letter topic \"\(topics.deadLetters)\" keeps messages \(text(deadLetters)), shorter than commands topic \"\(topics.commands)\" (\(text(commands)))",
                details: ["retention_ms": "\(deadLetters)", "commands_retention_ms": "\(commands)"]))
    }

    /// "a", "a and b", "a, b and c".
    private static func list(_ items: [String]) -> String {
        guard items.count > 1, let last = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }
}
