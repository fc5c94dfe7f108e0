/// Decides what a read of the JWKS file leads to: the file is parsed when its content differs
/// from the previous read, or on every SIGHUP (`forced`), and an unreadable file is reported
/// once per distinct reason. A file that stays broken is thus logged and counted once, not at
/// every poll, and a SIGHUP always retries.
struct JWKSWatch: Sendable {
    /// What to do after a read.
    enum Action: Sendable, Hashable {
        /// Nothing changed.
        case none
        /// Parse these bytes and, if they hold keys, put them in force.
        case load([UInt8])
        /// The file cannot be read; the keys in force stay.
        case reportUnreadable(String)
    }

    private var last: JWKSFile.Observation

    /// A watch whose keys came from the read `initial` (at start).
    init(initial: JWKSFile.Observation) {
        last = initial
    }

    /// Records `observation` and says what to do about it.
    mutating func observed(_ observation: JWKSFile.Observation, forced: Bool) -> Action {
        guard forced || observation != last else { return .none }
        last = observation
        switch observation {
        case .bytes(let bytes): return .load(bytes)
        case .unreadable(let reason): return .reportUnreadable(reason)
        }
    }
}
