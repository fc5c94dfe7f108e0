@testable import ContactStore
import Testing

@Suite("PostgreSQL pool leases: which calls keep the pool from being retired")
struct PoolLeasesTests {
    @Test("a call stops holding a connection when it ends for its caller, even if its body never returns")
    func endedCallNoLongerHolds() {
        var leases = PoolLeases()
        let stuck = leases.begin()
        leases.hold(stuck)
        #expect(leases.holding == 1)
        let retiredWhileHeld = leases.retire(0)
        #expect(!retiredWhileHeld)

        // The caller got ConnectionLost; the body is still suspended and never reports back.
        leases.end(stuck)
        #expect(leases.holding == 0)
        let retired = leases.retire(0)
        #expect(retired)
        #expect(leases.generation == 1)
    }

    @Test("the pool is not retired while another call holds one of its connections")
    func otherHolderKeepsThePool() {
        var leases = PoolLeases()
        let lost = leases.begin()
        let busy = leases.begin()
        leases.hold(lost)
        leases.hold(busy)
        leases.end(lost)
        let retiredWhileBusy = leases.retire(0)
        #expect(!retiredWhileBusy)
        #expect(leases.generation == 0)
        leases.end(busy)
        let retired = leases.retire(0)
        #expect(retired)
    }

    @Test("a call that begins holding after it ended, or after its pool was retired, does not count")
    func lateHoldIsIgnored() {
        var leases = PoolLeases()
        let ended = leases.begin()
        leases.end(ended)
        leases.hold(ended)
        #expect(leases.holding == 0)

        let waiting = leases.begin()
        let retired = leases.retire(0)
        #expect(retired)
        leases.hold(waiting)
        #expect(leases.holding == 0)
        leases.end(waiting)
        #expect(leases.holding == 0)
    }

    @Test("a call of a retired pool ending does not touch the current pool's count")
    func oldCallEndingLeavesNewPoolAlone() {
        var leases = PoolLeases()
        let old = leases.begin()
        leases.hold(old)
        leases.end(old)
        let retiredFirst = leases.retire(0)
        #expect(retiredFirst)
        let current = leases.begin()
        leases.hold(current)
        leases.end(old)
        #expect(leases.holding == 1)
        let retiredWhileHeld = leases.retire(1)
        #expect(!retiredWhileHeld)
        let retiredStale = leases.retire(0)
        #expect(!retiredStale, "a generation already retired is never retired again")
        #expect(leases.generation == 1)
    }

    @Test("ending a call twice counts once")
    func endIsIdempotent() {
        var leases = PoolLeases()
        let first = leases.begin()
        let second = leases.begin()
        leases.hold(first)
        leases.hold(second)
        leases.end(first)
        leases.end(first)
        #expect(leases.holding == 1)
        leases.end(second)
        #expect(leases.holding == 0)
    }
}
