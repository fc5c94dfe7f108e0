/// What readiness says about the topics, decided from one reading of their metadata after another
/// (``TopicWatch``); no I/O.
///
/// At start a single reading decides: the worker takes no work until all four topics exist. Once
/// it runs, a topic must be found unusable by ``runningProblemReadings`` readings in a row before
/// readiness turns 503: a broker that has just restarted can answer "unknown topic" until its
/// metadata cache is filled, and one such answer during a rolling restart would take the whole
/// fleet out of readiness at once. A reading that finds every topic usable clears it at once.
struct TopicReadiness: Sendable, Equatable {
    /// Readings in a row that must find a problem before a running worker reports it.
    static let runningProblemReadings = 2

    /// What changed in the reported state.
    enum Change: Equatable {
        /// Nothing to report.
        case none
        /// Readiness turns (or stays) 503 with this reason, a new one.
        case unusable(String)
        /// All four topics are usable again.
        case usable
    }

    /// The reason readiness reports now; `nil` when the topics are usable.
    private(set) var reported: String?
    private var problemReadings = 0

    /// Takes one reading's problem (`nil` when all four topics are usable).
    mutating func read(problem: String?, atStart: Bool) -> Change {
        guard let problem else {
            problemReadings = 0
            defer { reported = nil }
            return reported == nil ? .none : .usable
        }
        problemReadings += 1
        guard atStart || problemReadings >= Self.runningProblemReadings, problem != reported else { return .none }
        reported = problem
        return .unusable(problem)
    }
}
