import Testing

@testable import ContactWorker

@Suite("TopicReadiness: what readiness says about the topics, reading after reading")
struct TopicReadinessTests {
    let missing = #"results topic "r" does not exist on brokers b:9092"#

    @Test("at start one reading decides, and a reading with every topic usable clears it")
    func atStart() {
        var readiness = TopicReadiness()
        #expect(readiness.read(problem: missing, atStart: true) == .unusable(missing))
        #expect(readiness.read(problem: missing, atStart: true) == .none)
        #expect(readiness.reported == missing)
        #expect(readiness.read(problem: nil, atStart: true) == .usable)
        #expect(readiness.reported == nil)
        #expect(readiness.read(problem: nil, atStart: false) == .none)
    }

    @Test("once running, a topic must be unusable in two readings in a row; one good reading resets the count")
    func running() {
        var readiness = TopicReadiness()
        #expect(readiness.read(problem: nil, atStart: true) == .none)
        #expect(readiness.read(problem: missing, atStart: false) == .none)
        #expect(readiness.reported == nil)
        #expect(readiness.read(problem: nil, atStart: false) == .none)
        #expect(readiness.read(problem: missing, atStart: false) == .none)
        #expect(readiness.read(problem: missing, atStart: false) == .unusable(missing))
        #expect(readiness.reported == missing)
        let other = #"events topic "e" cannot be used: Broker: Topic authorization failed"#
        #expect(readiness.read(problem: other, atStart: false) == .unusable(other))
        #expect(readiness.read(problem: nil, atStart: false) == .usable)
    }
}
