import Synchronization

/// What readiness is made of: the worker's four topics exist, it has subscribed to the commands topic, the store
/// answers, a broker is reachable, and it is not backing off from a transient failure. Shared by the worker (which
/// updates it) and the HTTP side (which reports it).
public final class WorkerHealth: Sendable {
    private struct State {
        var joined = false
        /// Per operation, so one operation's success does not hide another's outage.
        var backingOff: [RetriedOperation: String] = [:]
        var brokerUnavailable: String?
        /// A topic missing or unusable, naming it and the brokers (``TopicCheck/problem``).
        var topicsUnavailable: String?
        var stopping = false
    }

    private let state = Mutex(State())

    public init() {}

    /// `nil` when ready, else why not (for the 503 body and logs).
    public var notReadyReason: String? {
        state.withLock { state in
            if state.stopping { return "shutting down" }
            // Backing off says more than "not yet subscribed" while the worker waits at start.
            for operation in RetriedOperation.allCases {
                if let reason = state.backingOff[operation] { return "backing off: \(reason)" }
            }
            // The worker does not subscribe while a topic is missing: the topic is the reason.
            if let reason = state.topicsUnavailable { return reason }
            if !state.joined { return "not yet subscribed to the commands topic" }
            if let reason = state.brokerUnavailable { return "no Kafka broker reachable: \(reason)" }
            return nil
        }
    }

    func setJoined(_ joined: Bool) { state.withLock { $0.joined = joined } }
    /// Records that `operation` is backing off for `reason`, or (nil) that it no longer is.
    func setBackingOff(_ operation: RetriedOperation, _ reason: String?) {
        state.withLock { $0.backingOff[operation] = reason }
    }
    func setStopping() { state.withLock { $0.stopping = true } }
    func setBrokerUnavailable(_ reason: String?) { state.withLock { $0.brokerUnavailable = reason } }
    /// Records why the topics cannot be used, or (nil) that all four exist.
    func setTopicsUnavailable(_ reason: String?) { state.withLock { $0.topicsUnavailable = reason } }
    var brokerUnavailable: Bool { state.withLock { $0.brokerUnavailable != nil } }
}
