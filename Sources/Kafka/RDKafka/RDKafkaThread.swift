import Foundation
import Synchronization

/// A dedicated OS thread for a blocking librdkafka loop, so the cooperative pool never blocks.
/// The loop checks ``isStopRequested``; ``join()`` lets async code wait for it to end without
/// blocking either.
final class RDKafkaThread: Sendable {
    private struct State {
        var finished = false
        var joiners: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let stopRequested = Atomic<Bool>(false)

    init(name: String, body: @escaping @Sendable (RDKafkaThread) -> Void) {
        let thread = Thread { [self] in
            Thread.current.name = name
            body(self)
            let joiners = state.withLock { state in
                state.finished = true
                defer { state.joiners = [] }
                return state.joiners
            }
            for joiner in joiners { joiner.resume() }
        }
        thread.name = name
        thread.start()
    }

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Suspends until the thread's body has returned.
    func join() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.finished { return true }
                state.joiners.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
