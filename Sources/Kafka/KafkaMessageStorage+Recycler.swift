import Synchronization

extension KafkaMessageStorage {
    /// Keeps the byte and record arrays of the last storage a consumer's application released,
    /// for the poll thread to fill again: a steady stream of polls then reuses one batch's memory
    /// instead of allocating it anew for every poll (and having the kernel zero fresh pages).
    ///
    /// Holds at most one pair of arrays, so it keeps at most one batch's bytes alive.
    final class Recycler: Sendable {
        /// A storage's arrays, unique once the storage is gone.
        struct Arrays: Sendable {
            var bytes: [UInt8]
            var records: [Record]
        }

        private let spare = Mutex<Arrays?>(nil)

        /// Keeps `arrays` for the next ``take()``, in place of any kept before.
        func recycle(_ arrays: Arrays) {
            let replaced = spare.withLock { spare in
                defer { spare = arrays }
                return spare
            }
            // The arrays replaced are freed here, once the lock is released.
            _ = replaced
        }

        /// The arrays last recycled, if any; each pair is handed out once.
        func take() -> Arrays? {
            spare.withLock { $0.take() }
        }
    }
}
