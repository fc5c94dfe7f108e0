import Synchronization

/// A small bounded cache of tokens that already verified, so a burst of commands carrying the
/// same token pays for one signature check. Each is filed under a key: ``TokenVerifier`` uses
/// the `Authorization` header the token comes in, spelled `Bearer <token>`.
///
/// An entry is used only when the caller's `now` is within the token's validity, `nbf` (if any) at
/// or before it and `exp` after it, checked at every lookup: `now` is the caller's (a message's
/// time during `replay`) and may go backwards. A miss sends the caller back to a full
/// verification, which answers the exact failure. Entries expired at a lookup's `now` are dropped
/// then, and when the cache is full, then the oldest entries go first; an entry whose `nbf` is
/// after `now` stays, since it is valid at later times. Every entry carries the key generation
/// (``TokenKeyRing``) it verified under, and a lookup under another generation is a miss that
/// drops the entry: after a reload a token is verified again with the keys now in force. All
/// state sits behind one `Mutex`, so the cache can be shared across tasks.
final class VerifiedTokenCache: Sendable {
    private struct Entry {
        var actor: Principal
        var notBefore: Double?
        var expiresAt: Double
        var generation: UInt64
    }

    /// A key as the dictionary holds it: equal when its bytes are, hashed by its length and its
    /// last 32 bytes.
    ///
    /// The worker looks up a header for every command, and a header is a few hundred bytes. It
    /// ends with the token's signature, which sets apart any two tokens the cache holds (only
    /// verified tokens go in, and each one's signature covers all the rest), so its tail spreads
    /// them as well as hashing the whole header would, for a fraction of the work. Equality by
    /// bytes, not `String`'s canonical equivalence, keeps it consistent with that hash.
    private struct Key: Hashable {
        var text: String

        static func == (a: Key, b: Key) -> Bool {
            a.text.hasSameUTF8(as: b.text)
        }

        func hash(into hasher: inout Hasher) {
            text.withUTF8Bytes { bytes in
                hasher.combine(bytes.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(32))))
            }
        }
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var insertionOrder: [Key] = []
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The cached actor for the token filed under `key`, if it verified with the keys of
    /// `generation` and is valid at `now`: not before its `nbf`, not at or after its `exp`.
    func actor(for key: String, now: Double, generation: UInt64) -> Principal? {
        let key = Key(text: key)
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard now < entry.expiresAt, entry.generation == generation else {
                state.entries[key] = nil
                state.insertionOrder.removeAll { $0 == key }
                return nil
            }
            if let notBefore = entry.notBefore, now < notBefore { return nil }
            return entry.actor
        }
    }

    /// Remembers, under `key`, a token verified with the keys of `generation`, valid from
    /// `notBefore` (its `nbf`, if it has one) until `expiresAt`. An entry of another generation is
    /// replaced.
    func insert(
        key: String, actor: Principal, notBefore: Double?, expiresAt: Double, now: Double, generation: UInt64
    ) {
        guard capacity > 0 else { return }
        let key = Key(text: key)
        state.withLock { state in
            if let existing = state.entries[key] {
                // An older generation's entry gives way; a newer one (a reload landed while this
                // token was being verified with the keys before it) is kept.
                guard existing.generation < generation else { return }
                state.entries[key] = nil
                state.insertionOrder.removeAll { $0 == key }
            }
            if state.entries.count >= capacity {
                state.entries = state.entries.filter { now < $0.value.expiresAt }
                state.insertionOrder.removeAll { state.entries[$0] == nil }
                while state.entries.count >= capacity, !state.insertionOrder.isEmpty {
                    let oldest = state.insertionOrder.removeFirst()
                    state.entries[oldest] = nil
                }
            }
            state.entries[key] = Entry(
                actor: actor, notBefore: notBefore, expiresAt: expiresAt, generation: generation)
            state.insertionOrder.append(key)
        }
    }

    /// The number of cached tokens (for tests and metrics).
    var count: Int {
        state.withLock { $0.entries.count }
    }
}
