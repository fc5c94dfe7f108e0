import Synchronization

/// Collects the delivery reports of one `send` call (one message or a batch) and resumes its
/// single awaiting task once every report is in: one continuation and a locked countdown, no
/// polling.
final class RDKafkaDeliveryWaiter: Sendable {
    private struct State {
        var reports: [KafkaDeliveryReport?]
        var remaining: Int
        var continuation: CheckedContinuation<[KafkaDeliveryReport], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(reports: Array(repeating: nil, count: count), remaining: count))
    }

    func complete(index: Int, report: KafkaDeliveryReport) {
        let resume = state.withLock {
            state -> (CheckedContinuation<[KafkaDeliveryReport], Never>, [KafkaDeliveryReport])? in
            guard state.reports[index] == nil else { return nil }
            state.reports[index] = report
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.reports.compactMap { $0 })
        }
        if let (continuation, reports) = resume { continuation.resume(returning: reports) }
    }

    /// The reports in input order, once all are in.
    func wait() async -> [KafkaDeliveryReport] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [KafkaDeliveryReport]? in
                if state.remaining == 0 { return state.reports.compactMap { $0 } }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// The per-message opaque handed to librdkafka (retained until its delivery report arrives).
final class RDKafkaDeliveryTicket: Sendable {
    let waiter: RDKafkaDeliveryWaiter
    let index: Int
    let topic: String

    init(waiter: RDKafkaDeliveryWaiter, index: Int, topic: String) {
        self.waiter = waiter
        self.index = index
        self.topic = topic
    }
}
