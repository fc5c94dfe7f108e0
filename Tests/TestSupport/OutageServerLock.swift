import Foundation

/// Exclusive use of the disposable PostgreSQL server that tests stop and start
/// (`CONTACT_WORKER_TEST_POSTGRES_OUTAGE_URL`).
///
/// Both the store's outage test and the worker's fault-recovery test stop and start that server;
/// Swift Testing runs suites of different modules side by side, so each takes this lock (an
/// `flock` on a file named after the server) for as long as it needs the server to itself.
public final class OutageServerLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Waits (without blocking a thread) until the lock for `serverURL` is free, then takes it.
    ///
    /// - Throws: ``OutageServerLockError`` when the lock file cannot be opened, ``TimedOut`` after `seconds`.
    public static func acquire(serverURL: String, seconds: Double = 300) async throws -> OutageServerLock {
        let name = serverURL.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : "_" }.joined()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("contact-worker-outage-\(name).lock")
            .path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw OutageServerLockError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        do {
            _ = try await within(seconds, "the outage server lock \(path)") {
                while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                    try await Task.sleep(for: .milliseconds(200))
                }
                return true
            }
        } catch {
            close(descriptor)
            throw error
        }
        return OutageServerLock(descriptor: descriptor)
    }

    /// Releases the lock.
    public func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// The outage server lock's file could not be opened.
public struct OutageServerLockError: Error, CustomStringConvertible {
    public let description: String
}
