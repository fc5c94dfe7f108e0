#if canImport(Glibc)
    import Glibc

    /// Limits glibc's allocator to two arenas for the whole process, as `MALLOC_ARENA_MAX=2` would,
    /// unless the environment chose a limit (docs/decisions/0012-memory-bounds.md).
    ///
    /// glibc gives each new thread an arena of its own, up to eight per core. The worker's threads
    /// (SwiftNIO's event loops, the cooperative pool, librdkafka's) allocate a command's values on one
    /// thread and free them on another, so each arena keeps free memory that the others cannot reuse,
    /// and the peak RSS on a backlog grows with no gain in CPU.
    ///
    /// `mallopt` is not in the Swift `Glibc` module (it does not include `<malloc.h>`), so it is looked
    /// up by name. The limit binds the arenas created after the call, so `contact-worker` makes it first
    /// thing in `main`, before the process starts a thread.
    public enum MallocArenas {
        /// The arenas the process may use unless its environment says otherwise.
        public static let defaultLimit: Int32 = 2

        /// `M_ARENA_MAX` in `<malloc.h>`.
        private static let arenaMaxOption: Int32 = -8

        /// Sets the limit, unless `MALLOC_ARENA_MAX` or a `glibc.malloc.arena_max` tunable in
        /// `GLIBC_TUNABLES` already chose one. Returns whether it set it.
        @discardableResult
        public static func limit(to count: Int32 = defaultLimit, environment: [String: String]) -> Bool {
            guard environment["MALLOC_ARENA_MAX"] == nil,
                environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") != true
            else { return false }
            // A null handle is RTLD_DEFAULT: the symbol as the process resolves it.
            guard let symbol = dlsym(nil, "mallopt") else { return false }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            return mallopt(arenaMaxOption, count) == 1
        }
    }
#endif
