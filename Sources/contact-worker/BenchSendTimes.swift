import Synchronization

/// For each latency-run command (by index): when it was handed to the producer, when the broker
/// acknowledged it, and when its result arrived.
final class BenchSendTimes: Sendable {
    struct Times: Sendable {
        var enqueued: ContinuousClock.Instant?
        var acknowledged: ContinuousClock.Instant?
        var resulted: ContinuousClock.Instant?
    }

    private let times: Mutex<[Times]>

    init(count: Int) { times = Mutex(Array(repeating: Times(), count: count)) }

    /// The two moments a latency is measured from.
    enum Start: Sendable {
        case enqueued
        case acknowledged
    }

    func mark(_ range: Range<Int>, _ start: Start, at instant: ContinuousClock.Instant) {
        times.withLock { times in
            for index in range {
                switch start {
                case .enqueued: times[index].enqueued = instant
                case .acknowledged: times[index].acknowledged = instant
                }
            }
        }
    }

    func resulted(_ index: Int, at instant: ContinuousClock.Instant) {
        times.withLock { if $0.indices.contains(index) { $0[index].resulted = instant } }
    }

    /// How many commands have their result.
    func resultedCount() -> Int {
        times.withLock { times in times.count { $0.resulted != nil } }
    }

    /// Result arrival minus `field`, for every command that has both (never negative: a result
    /// can be read before the acknowledgement reaches the sending task).
    func latencies(from start: Start) -> [Duration] {
        times.withLock { times in
            times.compactMap { entry in
                guard let begin = start == .enqueued ? entry.enqueued : entry.acknowledged, let end = entry.resulted
                else { return nil }
                return max(.zero, begin.duration(to: end))
            }
        }
    }
}
