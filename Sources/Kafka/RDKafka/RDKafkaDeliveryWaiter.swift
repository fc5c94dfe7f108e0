import Synchronization

/// Collects the delivery reports of one `send` call (one message or a batch) and resumes its
/// single awaiting task once every report is in: one continuation and a locked countdown, no
/// polling.
final class RDKafkaDeliveryWaiter: Sendable {
    private struct State {
        /// One per record, in input order; a record's entry holds its report once `completed`
        /// says so (a placeholder before).
        var reports: [KafkaDeliveryReport]
        var completed: [Bool]
        var remaining: Int
        var continuation: CheckedContinuation<[KafkaDeliveryReport], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        let placeholder = KafkaDeliveryReport(topic: "", partition: -1, offset: nil)
        state = Mutex(
            State(
                reports: Array(repeating: placeholder, count: count),
                completed: Array(repeating: false, count: count), remaining: count))
    }

    /// Records the report of record `index`; a second report for it is ignored.
    func complete(index: Int, report: KafkaDeliveryReport) {
        let resume = state.withLock {
            state -> (CheckedContinuation<[KafkaDeliveryReport], Never>, [KafkaDeliveryReport])? in
            guard !state.completed[index] else { return nil }
            state.completed[index] = true
            state.reports[index] = report
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.reports)
        }
        if let (continuation, reports) = resume { continuation.resume(returning: reports) }
    }

    /// The reports in input order, once all are in.
    func wait() async -> [KafkaDeliveryReport] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [KafkaDeliveryReport]? in
                if state.remaining == 0 { return state.reports }
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
