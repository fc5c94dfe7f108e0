import Synchronization

/// Collects the delivery reports of one `send` call (one message or a batch) and resumes its
/// single awaiting task once every report is in: one continuation and a locked countdown, no
/// polling.
///
/// It also holds what librdkafka carries with each record until its delivery report: the record's
/// opaque is the address of the record's slot in this waiter (``retainedOpaque(index:)``), which
/// names the waiter and the record's index. The opaques need no allocation of their own: one
/// buffer of slots per `send` call serves all its records.
final class RDKafkaDeliveryWaiter: Sendable {
    /// The opaque of one record: its waiter (unretained: the retain is the opaque's own, taken by
    /// ``retainedOpaque(index:)``) and its index.
    private struct Slot {
        let waiter: Unmanaged<RDKafkaDeliveryWaiter>
        let index: Int
    }

    private struct State {
        /// One per record, in input order; a record's entry holds its report once `completed`
        /// says so (a placeholder before).
        var reports: [KafkaDeliveryReport]
        var completed: [Bool]
        var remaining: Int
        var continuation: CheckedContinuation<[KafkaDeliveryReport], Never>?
    }

    private let state: Mutex<State>
    /// The topic of each record, in input order: what its delivery report names.
    let topics: [String]
    /// One slot per record. Written in `init` and only read afterwards; freed in `deinit`, which
    /// cannot run while librdkafka holds an opaque, since each opaque holds a retain of the waiter.
    private nonisolated(unsafe) let slots: UnsafeMutablePointer<Slot>

    /// A waiter for records to the given topics, in input order.
    init(topics: [String]) {
        let count = topics.count
        self.topics = topics
        let placeholder = KafkaDeliveryReport(topic: "", partition: -1, offset: nil)
        state = Mutex(
            State(
                reports: Array(repeating: placeholder, count: count),
                completed: Array(repeating: false, count: count), remaining: count))
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: max(count, 1))
        for index in 0..<count {
            (slots + index).initialize(to: Slot(waiter: Unmanaged.passUnretained(self), index: index))
        }
    }

    deinit {
        slots.deinitialize(count: topics.count)
        slots.deallocate()
    }

    /// The opaque to hand librdkafka with record `index`. It holds a retain of the waiter, given
    /// back by ``complete(opaque:report:)`` when the record's report arrives, or by
    /// ``release(opaque:)`` when librdkafka did not take the record.
    func retainedOpaque(index: Int) -> UnsafeMutableRawPointer {
        precondition(topics.indices.contains(index), "record \(index) of \(topics.count)")
        _ = Unmanaged.passRetained(self)
        return UnsafeMutableRawPointer(slots + index)
    }

    /// Completes the record whose opaque is `opaque` with the report `report` makes of its topic,
    /// and gives back the opaque's retain.
    static func complete(opaque: UnsafeMutableRawPointer, report: (String) -> KafkaDeliveryReport) {
        let slot = opaque.assumingMemoryBound(to: Slot.self).pointee
        let waiter = slot.waiter.takeRetainedValue()
        waiter.complete(index: slot.index, report: report(waiter.topics[slot.index]))
    }

    /// Gives back the retain of an opaque that librdkafka did not take.
    static func release(opaque: UnsafeMutableRawPointer) {
        opaque.assumingMemoryBound(to: Slot.self).pointee.waiter.release()
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
