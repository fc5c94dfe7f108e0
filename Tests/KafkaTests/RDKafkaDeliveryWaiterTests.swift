@testable import Kafka
import Testing

@Suite("RDKafkaDeliveryWaiter")
struct RDKafkaDeliveryWaiterTests {
    private static func report(_ offset: Int64, topic: String = "t") -> KafkaDeliveryReport {
        KafkaDeliveryReport(topic: topic, partition: 0, offset: offset)
    }

    @Test("reports come back in input order whatever order they arrive in; a second report for a record is ignored")
    func ordersAndIgnoresRepeats() async {
        let waiter = RDKafkaDeliveryWaiter(topics: ["t", "t", "t"])
        waiter.complete(index: 2, report: Self.report(12))
        waiter.complete(index: 0, report: Self.report(10))
        waiter.complete(index: 0, report: Self.report(99))
        async let reports = waiter.wait()
        waiter.complete(index: 1, report: Self.report(11))
        #expect(await reports.map(\.offset) == [10, 11, 12])
    }

    @Test("a waiter whose reports are all in answers at once")
    func completeBeforeWaiting() async {
        let waiter = RDKafkaDeliveryWaiter(topics: ["t"])
        waiter.complete(index: 0, report: Self.report(5))
        #expect(await waiter.wait() == [Self.report(5)])
    }

    @Test(
        "a record's opaque names its waiter, index and topic, keeps the waiter alive until its report, and is then given back"
    )
    func opaquesCarryTheRecord() async {
        weak var weakWaiter: RDKafkaDeliveryWaiter?
        var opaques: [UnsafeMutableRawPointer] = []
        var taken: UnsafeMutableRawPointer?
        do {
            let waiter = RDKafkaDeliveryWaiter(topics: ["events", "results"])
            weakWaiter = waiter
            opaques = [waiter.retainedOpaque(index: 1), waiter.retainedOpaque(index: 0)]
            // An opaque librdkafka refused is given back without a report.
            taken = waiter.retainedOpaque(index: 0)
        }
        if let taken { RDKafkaDeliveryWaiter.release(opaque: taken) }
        // Only the opaques in flight hold the waiter now.
        #expect(weakWaiter != nil)
        do {
            let waiter = weakWaiter
            RDKafkaDeliveryWaiter.complete(opaque: opaques[0]) { Self.report(21, topic: $0) }
            RDKafkaDeliveryWaiter.complete(opaque: opaques[1]) { Self.report(20, topic: $0) }
            #expect(await waiter?.wait() == [Self.report(20, topic: "events"), Self.report(21, topic: "results")])
        }
        #expect(weakWaiter == nil)
    }

    @Test("the report of a record whose opaque holds the waiter's last reference completes it and frees it")
    func lastReferenceInTheOpaque() {
        weak var weakWaiter: RDKafkaDeliveryWaiter?
        var opaque: UnsafeMutableRawPointer?
        do {
            let waiter = RDKafkaDeliveryWaiter(topics: ["events"])
            weakWaiter = waiter
            opaque = waiter.retainedOpaque(index: 0)
        }
        #expect(weakWaiter != nil)
        if let opaque {
            // The slot is read before the retain is given back (AddressSanitizer checks the order).
            RDKafkaDeliveryWaiter.complete(opaque: opaque) { Self.report(1, topic: $0) }
        }
        #expect(weakWaiter == nil)
    }
}
