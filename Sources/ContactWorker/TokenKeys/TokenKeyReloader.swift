import ContactDomain
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Keeps the ``TokenKeyRing`` in step with the JWKS file while the worker runs.
///
/// The file is read every ``Configuration/pollInterval`` and at every SIGHUP (``JWKSWatch``).
/// Polling, rather than a file-change notification: a Kubernetes Secret volume swaps a `..data`
/// symlink to a new directory, so a watch on the file stays on the old inode (and ends when the
/// kubelet deletes the old directory) and a watch on the directory must be re-armed after every
/// swap; reading a few kilobytes every few seconds works on every filesystem and volume type and
/// needs no re-arming.
///
/// A file that cannot be read or parsed leaves the keys in force, is logged as an error with the
/// reason and counted (`contact_worker_jwks_reload_failures_total`); keys that load replace the
/// set under a new generation, so the verified-token cache no longer answers for tokens of
/// removed keys.
public final class TokenKeyReloader: Service, Sendable {
    /// How the file is watched.
    public struct Configuration: Sendable {
        /// How often the file is read; `nil` reads it only on a signal.
        public var pollInterval: Duration?

        /// Creates a configuration.
        public init(pollInterval: Duration? = .seconds(5)) {
            self.pollInterval = pollInterval
        }
    }

    /// The file watched.
    public let file: JWKSFile
    /// The ring whose key set is replaced on every successful reload (the verifier's).
    public let keyRing: TokenKeyRing
    /// How the file is watched.
    public let configuration: Configuration
    let metrics: WorkerMetrics?
    let logger: Logger
    private let watch: Mutex<JWKSWatch>
    private let signals: UnixSignalsSequence?

    /// A reloader for the keys `keyRing` got from `file`, whose read at start found `initial`.
    ///
    /// - Parameter signals: each signal of the sequence forces a reload (the worker's SIGHUP,
    ///   trapped by its caller as early as it can be); `nil` for none (tests, which share one
    ///   process).
    public init(
        file: JWKSFile, keyRing: TokenKeyRing, initial: JWKSFile.Observation, configuration: Configuration = .init(),
        signals: UnixSignalsSequence?, metrics: WorkerMetrics?, logger: Logger
    ) {
        self.file = file
        self.keyRing = keyRing
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.watch = Mutex(JWKSWatch(initial: initial))
        self.signals = signals
        metrics?.tokenKeysLoaded(keyRing.current.keys.keys.count)
    }

    /// Polls and listens for the signals until graceful shutdown. Both only queue a check; one
    /// loop runs the checks one after another, so a slow parse of an older file can never replace
    /// the keys of a newer one.
    public func run() async throws {
        let signals = self.signals
        let pollInterval = configuration.pollInterval
        let (checks, requests) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(4))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                if let signals {
                    tasks.addTask {
                        for await signal in signals {
                            self.logger.info("JWKS reload requested", metadata: ["signal": "\(signal)"])
                            requests.yield(true)
                        }
                    }
                }
                if let pollInterval {
                    tasks.addTask {
                        while (try? await Task.sleep(for: pollInterval)) != nil { requests.yield(false) }
                    }
                }
                tasks.addTask {
                    for await forced in checks {
                        await self.check(forced: forced)
                    }
                }
                await tasks.next()
                tasks.cancelAll()
            }
        }
        requests.finish()
    }

    /// Reads the file and applies what changed (everything when `forced`, as on SIGHUP); returns
    /// whether a new key set was put in force. Calls must not overlap (``run()`` queues its own).
    @discardableResult
    public func check(forced: Bool) async -> Bool {
        let observation = file.observe()
        let action = watch.withLock { $0.observed(observation, forced: forced) }
        switch action {
        case .none:
            return false
        case .reportUnreadable(let reason):
            fail("JWT_JWKS_FILE: \(reason)")
            return false
        case .load(let bytes):
            do {
                let keys = try await TokenKeySet.fromJWKS(bytes)
                let generation = keyRing.replace(with: keys)
                metrics?.tokenKeysReloaded(keyCount: keys.keys.count)
                logger.notice(
                    "JWKS reloaded; tokens now verify with these keys",
                    metadata: [
                        "file": "\(file.path)", "keys": "\(keys.summary)", "generation": "\(generation)",
                    ])
                for reason in keys.ignored {
                    logger.warning("JWKS key ignored", metadata: ["file": "\(file.path)", "reason": "\(reason)"])
                }
                return true
            } catch {
                fail(error.description)
                return false
            }
        }
    }

    private func fail(_ reason: String) {
        metrics?.tokenKeyReloadFailed()
        logger.error(
            "JWKS reload failed; the keys in force stay",
            metadata: ["file": "\(file.path)", "reason": "\(reason)", "keys": "\(keyRing.current.keys.summary)"])
    }
}
