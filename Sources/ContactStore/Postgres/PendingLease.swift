import PostgresNIO
import Synchronization

/// One call's attempt to get a pooled connection within a deadline, and to notice when that
/// connection dies under the call.
///
/// PostgresNIO's pool queues a lease request while it cannot connect and retries with backoff
/// for up to a minute; a cancelled request is not always released promptly. The caller must not
/// hang on that, so the attempt runs in its own task and the caller waits on a continuation that
/// either the operation or the deadline resumes, never both. Exactly one of "leased" and "timed
/// out" wins, so a call reported as timed out never runs its body later (a batch reported as
/// failed is never committed behind the worker's back).
///
/// Once leased, a watchdog checks the connection every second. PostgresNIO 1.33 hands a query to
/// its channel without a write promise, so a query issued just as the server closes the
/// connection (a restart, `pg_ctl stop -m fast`) is never answered and never failed: the call
/// would hang forever. When the connection has been closed for a full check interval and the
/// body still has not returned, the caller gets ``ConnectionLost`` and the stuck body is
/// abandoned: its task stays suspended, and so does everything on its stack (the body's closures
/// and what they capture, the closed connection, the pool's lease); the closed connection can
/// never commit anything. Once the caller has its outcome, this object keeps no reference of its
/// own (no continuation, timer, watchdog or outcome), since the abandoned task keeps it alive.
final class PendingLease<Result: Sendable>: Sendable {
    /// Thrown when no connection arrived before the deadline.
    struct Timeout: Error {}

    /// Thrown when the leased connection closed and the body did not return.
    struct ConnectionLost: Error {}

    /// How often the watchdog looks at a leased connection.
    static var checkInterval: TimeAmount { .seconds(1) }

    private enum Phase { case waiting, leased, timedOut }

    private struct State: ~Copyable {
        var phase = Phase.waiting
        /// Whether the outcome is decided; it is decided once.
        var finished = false
        /// The decided outcome, until the caller takes it.
        var outcome: Swift.Result<Result, any Error>?
        /// The waiting caller, until it is resumed.
        var continuation: CheckedContinuation<Result, any Error>?
        /// The deadline and the watchdog, until the outcome is decided.
        var timer: Scheduled<Void>?
        var watchdog: RepeatedTask?
    }

    private let state = Mutex(State())

    /// Runs `body` on a connection of `client`, failing with ``Timeout`` when no connection is
    /// leased within `timeout`. Cancelling the caller cancels the attempt.
    static func run(
        _ client: PostgresClient,
        timeout: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let pending = PendingLease<Result>()
        let operation = Task {
            do {
                let value = try await client.withConnection { connection in
                    guard pending.claim(.leased) else { throw Timeout() }
                    pending.watch(connection)
                    return try await body(connection)
                }
                pending.complete(.success(value))
            } catch {
                pending.complete(.failure(error))
            }
        }
        // An event-loop timer rather than a sleeping task: nothing to allocate per call beyond the
        // timer itself, and it is cancelled as soon as the operation completes.
        let deadline = TimeAmount.nanoseconds(
            timeout.components.seconds &* 1_000_000_000 &+ timeout.components.attoseconds / 1_000_000_000)
        let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: deadline) {
            if pending.claim(.timedOut) {
                pending.complete(.failure(Timeout()))
                operation.cancel()
            }
        }
        pending.setTimer(timer)
        return try await withTaskCancellationHandler {
            try await pending.wait()
        } onCancel: {
            operation.cancel()
            if pending.claim(.timedOut) {
                pending.complete(.failure(CancellationError()))
            }
        }
    }

    private func claim(_ phase: Phase) -> Bool {
        state.withLock { state in
            guard state.phase == .waiting else { return false }
            state.phase = phase
            return true
        }
    }

    private func setTimer(_ timer: Scheduled<Void>) {
        let finished = state.withLock { state in
            if !state.finished { state.timer = timer }
            return state.finished
        }
        if finished { timer.cancel() }
    }

    /// Fails the call with ``ConnectionLost`` once `connection` has been seen closed on two
    /// checks in a row while the body runs; a driver that reports the closure itself does so well
    /// within that time.
    private func watch(_ connection: PostgresConnection) {
        let seenClosed = Mutex(false)
        let watchdog = connection.eventLoop.scheduleRepeatedTask(
            initialDelay: Self.checkInterval, delay: Self.checkInterval
        ) { [weak self] task in
            guard let self else { return task.cancel() }
            guard connection.isClosed else { return }
            if seenClosed.withLock({ seen in
                defer { seen = true }
                return seen
            }) {
                task.cancel()
                self.complete(.failure(ConnectionLost()))
            }
        }
        let finished = state.withLock { state in
            if !state.finished { state.watchdog = watchdog }
            return state.finished
        }
        if finished { watchdog.cancel() }
    }

    /// Decides the outcome, unless it is decided already, and hands it to the caller if it waits.
    private func complete(_ outcome: Swift.Result<Result, any Error>) {
        let (continuation, timer, watchdog):
            (CheckedContinuation<Result, any Error>?, Scheduled<Void>?, RepeatedTask?) = state.withLock { state in
                guard !state.finished else { return (nil, nil, nil) }
                state.finished = true
                let continuation = state.continuation.take()
                if continuation == nil { state.outcome = outcome }
                return (continuation, state.timer.take(), state.watchdog.take())
            }
        timer?.cancel()
        watchdog?.cancel()
        continuation?.resume(with: outcome)
    }

    private func wait() async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Swift.Result<Result, any Error>? = state.withLock { state in
                guard state.finished else {
                    state.continuation = continuation
                    return nil
                }
                return state.outcome.take()
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
