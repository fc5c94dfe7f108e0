import Dispatch

/// A serial dispatch queue for blocking librdkafka calls (commit, committed, watermarks, flush,
/// destroy), bridged to async callers so they suspend instead of blocking the cooperative pool.
struct RDKafkaBlockingQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue from a thread that may block (never the cooperative pool).
    func runBlocking<T>(_ body: () -> T) -> T {
        queue.sync(execute: body)
    }

    /// Runs `body` on the queue without waiting for it.
    func async(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
