import Foundation

/// CPU time this process has used so far (all threads), for the benchmarks: on a machine whose
/// speed drifts, CPU per command says more about a build than commands per second.
struct ProcessCPUTime: Sendable {
    var user: Duration
    var system: Duration

    var total: Duration { user + system }

    /// The process's CPU time from `getrusage(RUSAGE_SELF)`; zero if the call fails.
    static func now() -> ProcessCPUTime {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return ProcessCPUTime(user: .zero, system: .zero) }
        return ProcessCPUTime(user: duration(usage.ru_utime), system: duration(usage.ru_stime))
    }

    static func - (lhs: ProcessCPUTime, rhs: ProcessCPUTime) -> ProcessCPUTime {
        ProcessCPUTime(user: lhs.user - rhs.user, system: lhs.system - rhs.system)
    }

    private static func duration(_ time: timeval) -> Duration {
        .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
    }
}
