import Foundation
import Synchronization

/// Progress of a long operation (replay, re-drive, republish): on a terminal, one line rewritten
/// in place with the count and rate; otherwise (a pipe, a log file) a plain line every few
/// seconds, so logs stay readable.
final class ProgressReporter: Sendable {
    private struct State {
        var count = 0
        var lastReport: ContinuousClock.Instant
    }

    private let noun: String
    private let start = ContinuousClock.now
    private let state: Mutex<State>
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private let interval: Duration

    init(noun: String) {
        self.noun = noun
        state = Mutex(State(lastReport: start))
        interval = isTerminal ? .milliseconds(200) : .seconds(5)
    }

    /// Adds `count` finished items and reports if it is time to.
    func advance(by count: Int) {
        let line: String? = state.withLock { state in
            state.count += count
            let now = ContinuousClock.now
            guard now - state.lastReport >= interval else { return nil }
            state.lastReport = now
            return describe(state.count, now)
        }
        guard let line else { return }
        write(isTerminal ? "\r\u{1B}[K" + line : line + "\n")
    }

    /// The final count and rate, on a line of its own.
    func finish() {
        let line = state.withLock { describe($0.count, ContinuousClock.now) }
        write(isTerminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
    }

    private func describe(_ count: Int, _ now: ContinuousClock.Instant) -> String {
        let seconds = BenchCommand.secondsValue(start.duration(to: now))
        let rate = seconds > 0 ? Int((Double(count) / seconds).rounded()) : 0
        return "\(count) \(noun) in \(String(format: "%.1f", seconds)) s (\(rate)/s)"
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
