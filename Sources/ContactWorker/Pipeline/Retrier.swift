import ContactStore
import Kafka
import Logging

/// The worker's one retry loop: runs an operation until it succeeds, backing off (capped,
/// exponential) between attempts. Used for batches, publishing, dead letters, reading stored
/// offsets and preparing the store.
///
/// While an operation backs off, readiness reports why (per ``RetriedOperation``), the retries
/// metric counts the attempt and a line is logged; when the operation ends, succeeded or given up,
/// its readiness reason is cleared.
struct Retrier: Sendable {
    /// What a failed attempt leads to.
    enum Verdict: Sendable {
        /// Back off, then try again; the retry is logged at `level`.
        case retry(Logger.Level)
        /// Try again at once (the attempt changed what the next one does).
        case retryAtOnce
        /// Give up: ``run(_:verdict:wait:_:)`` returns the error.
        case stop
    }

    /// How a retried operation is reported.
    struct Report {
        var operation: RetriedOperation
        /// Prefixes the error in the readiness reason (`"<context>: <error>"`); nil for the error alone.
        var context: String?
        /// The log line of each retry; the error and the delay are added to its metadata.
        var message: Logger.Message
        var metadata: (any Error) -> Logger.Metadata = { _ in [:] }
    }

    var backoff: Backoff
    let health: WorkerHealth
    let observer: any WorkerObserver
    let logger: Logger

    /// Whether `error` is a passing outage (database or broker unreachable) that retrying can outlast.
    static func isRetriable(_ error: any Error) -> Bool {
        if let error = error as? StoreError { return error.isRetriable }
        if let error = error as? KafkaError { return error.isRetriable }
        return false
    }

    /// Sleeps for `delay`; false when the task was cancelled meanwhile.
    static func sleep(_ delay: Duration) async -> Bool {
        do {
            try await Task.sleep(for: delay)
            return true
        } catch {
            return false
        }
    }

    /// Runs `attempt` until it succeeds, `verdict` says stop, or `wait` (the pause between
    /// attempts) returns false, which ends the run with a `CancellationError`.
    func run<T>(
        _ report: Report,
        verdict: (any Error) -> Verdict,
        wait: (Duration) async -> Bool = Retrier.sleep,
        _ attempt: () async throws -> T
    ) async -> Result<T, any Error> {
        var backoff = self.backoff
        defer { health.setBackingOff(report.operation, nil) }
        while true {
            do {
                return .success(try await attempt())
            } catch {
                let level: Logger.Level
                switch verdict(error) {
                case .stop: return .failure(error)
                case .retryAtOnce: continue
                case .retry(let chosen): level = chosen
                }
                let delay = backoff.next()
                health.setBackingOff(report.operation, report.context.map { "\($0): \(error)" } ?? "\(error)")
                observer.retrying(report.operation, after: error)
                var metadata = report.metadata(error)
                metadata["error"] = "\(error)"
                metadata["delay"] = "\(delay)"
                logger.log(level: level, report.message, metadata: metadata)
                guard await wait(delay) else { return .failure(CancellationError()) }
            }
        }
    }
}
