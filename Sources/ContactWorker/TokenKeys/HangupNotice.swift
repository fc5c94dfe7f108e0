import Logging
import ServiceLifecycle
import UnixSignals

/// Answers SIGHUP in the log for a worker whose keys cannot be reloaded: HS256 secrets and a PEM
/// public key are read at start only.
///
/// SIGHUP's default action ends the process, and `systemctl reload` (the unit's `ExecReload`)
/// sends it to whatever key source the worker has; the worker therefore traps it for every source
/// (``WorkerApplication``), and this service says that the signal changed nothing.
struct HangupNotice: Service {
    let signals: UnixSignalsSequence
    /// Where the keys come from (``TokenKeySource/description``).
    let source: String
    let logger: Logger

    func run() async throws {
        let signals = signals
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                logger.notice(
                    "SIGHUP ignored: these keys are read at start only; restart the worker to change them",
                    metadata: ["source": "\(source)"])
            }
        }
    }
}
