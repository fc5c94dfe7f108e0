/// Which connection pool a ``PostgresContactStore`` uses, which of its calls hold one of that
/// pool's connections, and so when the pool may be retired.
///
/// A call holds a connection from the moment its body starts on one until the call ends for its
/// caller, whichever way it ends: the body returned, or the caller was told that the call failed
/// (the connection was lost under it, no connection came in time, the caller was cancelled). A
/// body whose caller has been told it failed can stay suspended for good (see ``PendingLease``),
/// so the body's own return cannot be what ends its hold; a call that never ended would keep its
/// pool from ever being retired.
struct PoolLeases {
    /// One call, on the pool of `generation`.
    struct Call: Hashable, Sendable {
        let id: UInt64
        let generation: Int
    }

    /// The pool in use; goes up by one with every retirement.
    private(set) var generation = 0
    /// How many calls of the current pool hold one of its connections.
    private(set) var holding = 0
    /// The current pool's calls that have begun and not ended, and whether each holds a connection.
    private var calls: [UInt64: Bool] = [:]
    private var nextID: UInt64 = 0

    /// Starts a call on the current pool.
    mutating func begin() -> Call {
        defer { nextID &+= 1 }
        calls[nextID] = false
        return Call(id: nextID, generation: generation)
    }

    /// Counts `call` as holding a connection; a call that has ended, or whose pool was retired,
    /// is not counted.
    mutating func hold(_ call: Call) {
        guard call.generation == generation, calls[call.id] == false else { return }
        calls[call.id] = true
        holding += 1
    }

    /// Ends `call`: from now on it holds no connection, whatever its body is still doing.
    mutating func end(_ call: Call) {
        guard call.generation == generation, let held = calls.removeValue(forKey: call.id) else { return }
        if held { holding -= 1 }
    }

    /// Retires the pool of `generation` when it is still the current one and no call holds one
    /// of its connections; returns whether it did. Calls of the retired pool count no more.
    mutating func retire(_ generation: Int) -> Bool {
        guard generation == self.generation, holding == 0 else { return false }
        self.generation += 1
        calls = [:]
        return true
    }
}
