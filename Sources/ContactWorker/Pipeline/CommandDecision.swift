import Kafka
import Logging

/// What the worker decided for one consumed message, kept with its batch so that it is logged
/// once the batch is durable and published, not when a plan is made (a plan can be discarded
/// and made again).
///
/// Each log line carries `topic`, `partition`, `offset` and, for commands, `command_id`, so an
/// operator can follow one command from its message to its result.
public struct CommandDecision: Sendable, Hashable {
    /// What became of the message.
    public enum Outcome: String, Sendable, Hashable {
        case applied
        case duplicate
        case rejected
        case deadLettered = "dead_lettered"

        /// Applied and duplicate commands are routine (`debug`); a rejection is the sender's
        /// to fix (`info`); a dead letter needs someone to look at it (`notice`).
        var level: Logger.Level {
            switch self {
            case .applied, .duplicate: .debug
            case .rejected: .info
            case .deadLettered: .notice
            }
        }
    }

    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The command's `command_id`, when the message was a command.
    public var commandID: String?
    /// The command's `type` as sent (bounded to 255 characters by the decoder), when it had one.
    public var commandType: String?
    /// The result's status, when a result was published.
    public var status: Int?
    public var outcome: Outcome
    /// Why: the result's body for a rejection (cut to 300 bytes), the reason for a dead letter.
    public var detail: String?

    init(
        _ message: KafkaMessage, commandID: String? = nil, commandType: String? = nil, status: Int? = nil,
        outcome: Outcome,
        detail: String? = nil
    ) {
        topic = message.topic
        partition = message.partition
        offset = message.offset
        self.commandID = commandID
        self.commandType = commandType
        self.status = status
        self.outcome = outcome
        self.detail = detail
    }

    /// Logs the decision at its outcome's level.
    func log(to logger: Logger) {
        logger.log(level: outcome.level, "command \(outcome.rawValue)", metadata: metadata)
    }

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "topic": "\(topic)", "partition": "\(partition)", "offset": "\(offset)", "outcome": "\(outcome.rawValue)",
        ]
        if let commandID { metadata["command_id"] = "\(commandID)" }
        if let commandType { metadata["command_type"] = "\(commandType)" }
        if let status { metadata["status"] = "\(status)" }
        if let detail { metadata["detail"] = "\(detail)" }
        return metadata
    }
}
