import ContactWorkerTestSupport
import Foundation

/// A child process started by a test, with stdout and stderr going to a log file.
///
/// posix_spawn + waitpid(WNOHANG) rather than Foundation's `Process`: `waitUntilExit()` can hang
/// on Linux when called from a concurrency thread (see `runShell` in the store tests), and a test
/// must be able to poll for exit with a timeout.
final class ChildProcess: Sendable {
    /// How a child ended.
    enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exited with \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    let name: String
    let pid: pid_t
    let log: URL
    private let termination = Locked<Termination?>(nil)

    private init(name: String, pid: pid_t, log: URL) {
        self.name = name
        self.pid = pid
        self.log = log
    }

    /// Starts `executable` with exactly `environment` (nothing inherited), appending its output to `log`.
    static func spawn(
        _ executable: String, arguments: [String] = [], environment: [String: String], name: String, log: URL
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The test process holds sockets (mock brokers, database connections) the child must not
        // keep. glibc ≥ 2.34 has addclosefrom_np; the Glibc module does not import it, so look it up.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw ChildProcessError(
                description: "posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
        }
        return ChildProcess(name: name, pid: pid, log: log)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Sends `signal` (SIGKILL, SIGTERM) unless the child is already reaped.
    func send(_ signal: Int32) {
        if termination.value == nil { kill(pid, signal) }
    }

    /// The termination, if the child has ended (reaps it).
    func poll() -> Termination? {
        if let ended = termination.value { return ended }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        // WIFEXITED: the low 7 bits are 0; WEXITSTATUS: the next byte. Otherwise WTERMSIG.
        let ended: Termination = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        termination.withLock { $0 = ended }
        return ended
    }

    var isRunning: Bool { poll() == nil }

    /// Waits for the child to end, failing with ``TimedOut`` after `seconds`.
    @discardableResult
    func waitForExit(seconds: Double) async throws -> Termination {
        try await within(seconds, "\(name) (pid \(pid)) to exit") {
            while true {
                if let ended = self.poll() { return ended }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// The last `lines` lines of the child's output.
    func tail(lines: Int = 40) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no output at \(log.path))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    var description: String
}

/// Runs a shell command line to completion (output to a temporary log), failing with its output.
func runShell(_ command: String, seconds: Double = 90) async throws {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("run-shell-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: log) }
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    let child = try ChildProcess.spawn(
        "/bin/sh", arguments: ["-c", command], environment: environment, name: "sh", log: log)
    let ended = try await child.waitForExit(seconds: seconds)
    guard ended == .exited(0) else {
        throw ChildProcessError(description: "`\(command)` \(ended): \(child.tail())")
    }
}
