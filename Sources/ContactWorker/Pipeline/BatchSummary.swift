import ContactDomain

/// What one processed batch amounted to; the worker logs it and feeds it to metrics, and
/// `replay` prints it.
public struct BatchSummary: Sendable, Hashable {
    /// Commands whose state change was applied (2xx).
    public var applied = 0
    /// Re-delivered commands recognised by `command_id` (same content): result re-published.
    public var duplicates = 0
    /// Commands answered with a 4xx result (auth, validation, not found, rule broken, 409).
    public var rejected = 0
    /// Messages that went to the dead-letter topic (not commands, or failed for good).
    public var deadLettered = 0
    /// `replay` only: messages the group's workers had already decided without leaving a record
    /// (answered 401/403, or dead-lettered), which a replay leaves alone.
    public var skipped = 0
    /// Commands whose Kafka key is not their `contact_id` (docs/contract.md §2 keys commands by contact):
    /// processed as usual, but they may be processed out of order with the contact's other
    /// commands, or by two workers at once. A producer keying by anything else needs fixing.
    public var misrouted = 0
    /// Result counts by command type (`"unknown"` when the type is missing or not one of
    /// ``CommandType``) and HTTP-style status.
    public var outcomes: [Outcome: Int] = [:]

    /// One (command type, status) pair.
    public struct Outcome: Sendable, Hashable {
        public var commandType: String
        public var status: Int

        /// An outcome for a command whose `type` field said `commandType`.
        ///
        /// Only the known command types are kept; anything else is `"unknown"`. The type becomes
        /// a metric label, and a label copied from the message would let any sender (even one
        /// without a valid token) create series without bound.
        public init(commandType: String?, status: Int) {
            self.commandType = commandType.flatMap { CommandType(rawValue: $0)?.rawValue } ?? "unknown"
            self.status = status
        }
    }

    public init() {}

    /// Total messages the batch consumed.
    public var messages: Int { applied + duplicates + rejected + deadLettered + skipped }
}
