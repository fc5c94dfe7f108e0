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
    /// Result counts by command type (`"unknown"` when the type is missing) and HTTP-style status.
    public var outcomes: [Outcome: Int] = [:]

    /// One (command type, status) pair.
    public struct Outcome: Sendable, Hashable {
        public var commandType: String
        public var status: Int
    }

    public init() {}

    /// Total messages the batch consumed.
    public var messages: Int { applied + duplicates + rejected + deadLettered }
}
