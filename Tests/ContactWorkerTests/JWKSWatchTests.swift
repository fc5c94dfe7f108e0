import Testing

@testable import ContactWorker

@Suite("JWKSWatch: when a read of the JWKS file leads to a parse")
struct JWKSWatchTests {
    @Test("same bytes: nothing; new bytes: load; SIGHUP: load the same bytes again")
    func changesAndSignals() {
        var watch = JWKSWatch(initial: .bytes([1]))
        #expect(watch.observed(.bytes([1]), forced: false) == JWKSWatch.Action.none)
        #expect(watch.observed(.bytes([2]), forced: false) == .load([2]))
        #expect(watch.observed(.bytes([2]), forced: false) == JWKSWatch.Action.none)
        #expect(watch.observed(.bytes([2]), forced: true) == .load([2]))
    }

    @Test("a file that stays unreadable (or unparsable) is reported once per reason; a SIGHUP retries it")
    func unreadableReportedOnce() {
        var watch = JWKSWatch(initial: .bytes([1]))
        #expect(watch.observed(.unreadable("gone"), forced: false) == .reportUnreadable("gone"))
        #expect(watch.observed(.unreadable("gone"), forced: false) == JWKSWatch.Action.none)
        #expect(watch.observed(.unreadable("denied"), forced: false) == .reportUnreadable("denied"))
        #expect(watch.observed(.unreadable("denied"), forced: true) == .reportUnreadable("denied"))
        // The same bytes as before it vanished are new again: they are loaded.
        #expect(watch.observed(.bytes([1]), forced: false) == .load([1]))
        // Broken bytes are loaded (and fail) once; polls of the same bytes do nothing.
        #expect(watch.observed(.bytes([9]), forced: false) == .load([9]))
        #expect(watch.observed(.bytes([9]), forced: false) == JWKSWatch.Action.none)
    }
}
