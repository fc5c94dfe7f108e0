import ContactDomain
import Foundation

/// The wall clock the worker reads for token expiry and `processed_at`, injected so tests and
/// tools can pin it. Event and history timestamps never come from it: they come from the command
/// (`issued_at`, else the Kafka timestamp), so a replay rebuilds identical rows.
public struct WorkerClock: Sendable {
    /// The current time.
    public var now: @Sendable () -> Timestamp

    public init(now: @escaping @Sendable () -> Timestamp) {
        self.now = now
    }

    /// The system's wall clock, to the microsecond.
    public static let system = WorkerClock {
        Timestamp(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
