import Synchronization

/// A thread-safe box for values tests share with hooks and reader tasks.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with the value, under the lock.
    public func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }

    /// The current value.
    public var value: Value { mutex.withLock { $0 } }
}
