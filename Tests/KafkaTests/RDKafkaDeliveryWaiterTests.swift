@testable import Kafka
import Testing

@Suite("RDKafkaDeliveryWaiter")
struct RDKafkaDeliveryWaiterTests {
    private static func report(_ offset: Int64) -> KafkaDeliveryReport {
        KafkaDeliveryReport(topic: "t", partition: 0, offset: offset)
    }

    @Test("reports come back in input order whatever order they arrive in; a second report for a record is ignored")
    func ordersAndIgnoresRepeats() async {
        let waiter = RDKafkaDeliveryWaiter(count: 3)
        waiter.complete(index: 2, report: Self.report(12))
        waiter.complete(index: 0, report: Self.report(10))
        waiter.complete(index: 0, report: Self.report(99))
        async let reports = waiter.wait()
        waiter.complete(index: 1, report: Self.report(11))
        #expect(await reports.map(\.offset) == [10, 11, 12])
    }

    @Test("a waiter whose reports are all in answers at once")
    func completeBeforeWaiting() async {
        let waiter = RDKafkaDeliveryWaiter(count: 1)
        waiter.complete(index: 0, report: Self.report(5))
        #expect(await waiter.wait() == [Self.report(5)])
    }
}
