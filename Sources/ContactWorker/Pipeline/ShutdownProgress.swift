import Synchronization

/// How far a graceful shutdown has got, shared by the worker and its rebalance hooks: whether
/// one began, and whether its publishing grace ran out (then nothing is retried any more).
final class ShutdownProgress: Sendable {
    private struct State {
        var requested = false
        var pastGrace = false
        var graceTimer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// A graceful shutdown began.
    var requested: Bool { state.withLock { $0.requested } }

    /// The shutdown's publishing grace ran out: every retry gives up.
    var pastGrace: Bool { state.withLock { $0.pastGrace } }

    /// Records the start of the shutdown with the timer that ends its grace; `false` (and the
    /// timer cancelled) when it had already begun.
    func begin(graceTimer: Task<Void, Never>) -> Bool {
        let first = state.withLock { state in
            defer { state.requested = true }
            if !state.requested { state.graceTimer = graceTimer }
            return !state.requested
        }
        if !first { graceTimer.cancel() }
        return first
    }

    func endGrace() { state.withLock { $0.pastGrace = true } }

    /// The shutdown finished: the grace timer is no longer needed.
    func finish() { state.withLock { $0.graceTimer?.cancel() } }
}
