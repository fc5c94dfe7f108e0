#if canImport(Glibc)
    import ContactWorker
    import Testing

    @Suite("MallocArenas: contact-worker limits glibc's malloc arenas unless its environment chose a limit")
    struct MallocArenasTests {
        @Test("with no choice in the environment, glibc's mallopt is found and takes the limit")
        func setsTheLimit() {
            #expect(MallocArenas.limit(environment: ["PATH": "/usr/bin"]))
        }

        @Test(
            "MALLOC_ARENA_MAX or an arena_max tunable is left to glibc",
            arguments: [
                ["MALLOC_ARENA_MAX": "8"],
                ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=16:glibc.malloc.arena_max=4"],
            ])
        func leavesTheEnvironmentsChoice(environment: [String: String]) {
            #expect(!MallocArenas.limit(environment: environment))
        }
    }
#endif
