import Foundation
import GRDB
import Logging
import Synchronization

/// Copies the WAL back into the database file from a thread of its own, so commits don't.
///
/// With SQLite's automatic checkpoints, the commit that crosses the threshold copies the WAL into
/// the database file and fsyncs both, inside the worker's transaction: on the development machine
/// that was a third of the time of a 1,000-command `apply`. A PASSIVE checkpoint on a separate
/// connection never blocks the writer or readers, so the writer only appends to the WAL. The
/// writer keeps a much higher auto-checkpoint threshold as a safety net, in case this thread
/// cannot keep up (long-running readers pin the WAL).
final class SQLiteCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let wakeUp = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens a connection of its own to `path` and starts checkpointing every `interval`.
    init(path: String, interval: Duration, logger: Logger) throws {
        var configuration = Configuration()
        configuration.label = "ContactStore.checkpointer"
        configuration.busyMode = .timeout(5)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let milliseconds = Int(
            interval.components.seconds * 1_000 + interval.components.attoseconds / 1_000_000_000_000_000)
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                _ = wakeUp.wait(timeout: .now() + .milliseconds(milliseconds))
                guard !stopped.withLock({ $0 }) else { break }
                do {
                    try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
                } catch {
                    // Harmless: the writer's own auto-checkpoint still bounds the WAL.
                    logger.debug("background checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
            finished.signal()
        }
        thread.name = "sqlite-checkpoint"
        thread.start()
    }

    /// Stops the thread (after a checkpoint in progress) and closes its connection.
    func stop() {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        wakeUp.signal()
        finished.wait()
        try? connection.close()
    }
}
