/// Capped exponential backoff for transient failures (database or broker unavailable).
///
/// Deterministic (no jitter) so tests and logs are predictable; with one worker per partition
/// there is no thundering herd to spread out.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public private(set) var attempt = 0

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt; doubles each call up to ``maximum``.
    public mutating func next() -> Duration {
        defer { attempt += 1 }
        var delay = initial
        for _ in 0..<min(attempt, 30) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }

    /// Starts over after a success.
    public mutating func reset() {
        attempt = 0
    }
}
