import Synchronization

/// What a store call's body works on, readable until the call ends for its caller.
///
/// A body whose caller has been told it failed can stay suspended for good (see
/// ``PendingLease``), and with it every closure on its stack and everything they capture. A body
/// that captures this box instead of the value itself lets the value go when the store empties
/// the box at the end of the call; what the body had already taken out into its own variables
/// stays with it.
final class CallInput<Value: Sendable>: Sendable {
    /// Thrown by ``value()`` after the call ended: only a body nobody waits for any more reads then.
    struct Ended: Error {}

    private let storage: Mutex<Value?>

    init(_ value: Value) {
        storage = Mutex(value)
    }

    /// The input, while the call has not ended.
    func value() throws -> Value {
        guard let value = storage.withLock({ $0 }) else { throw Ended() }
        return value
    }

    /// Lets the input go; called when the call ends.
    func release() {
        // Taken out rather than set to nil, so the value is destroyed outside the lock.
        _ = storage.withLock { $0.take() }
    }
}
