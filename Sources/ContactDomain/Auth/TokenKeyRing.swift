import Synchronization

/// The key set in force, replaceable while tokens are being verified (a JWKS reload).
///
/// Each replacement bumps a generation. ``TokenVerifier`` reads the set and its generation once
/// per token, under one lock and without an actor hop, and files a verified token under that
/// generation: after a reload, a token verified with the previous keys is verified again, so a
/// token whose key was removed is refused even when it was cached, and a verification still
/// running with the old keys cannot put an old answer back in the cache.
public final class TokenKeyRing: Sendable {
    /// A key set and the generation it was installed as.
    public struct Snapshot: Sendable {
        /// The keys.
        public let keys: TokenKeySet
        /// 0 for the first set, one more on every replacement.
        public let generation: UInt64
    }

    private let state: Mutex<Snapshot>

    /// A ring holding `keys` as generation 0.
    public init(_ keys: TokenKeySet) {
        state = Mutex(Snapshot(keys: keys, generation: 0))
    }

    /// The set in force.
    public var current: Snapshot {
        state.withLock { $0 }
    }

    /// Puts `keys` in force under the next generation, which it returns.
    @discardableResult
    public func replace(with keys: TokenKeySet) -> UInt64 {
        state.withLock { state in
            state = Snapshot(keys: keys, generation: state.generation + 1)
            return state.generation
        }
    }
}
