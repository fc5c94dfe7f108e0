import ContactStore
@testable import ContactWorker
import Kafka
import Logging
import Synchronization
import Testing

@Suite("Retrier")
struct RetrierTests {
    /// Records what the retrier reports, and what readiness said at each wait.
    final class Recorder: WorkerObserver {
        let retries = Mutex<[RetriedOperation]>([])
        func batchProcessed(_ summary: BatchSummary, messages: [KafkaMessage], duration: Duration) {}
        func retrying(_ operation: RetriedOperation, after error: any Error) {
            retries.withLock { $0.append(operation) }
        }
    }

    struct Outage: Error, CustomStringConvertible {
        var description: String { "database unavailable" }
    }

    struct Broken: Error {}

    private let health = WorkerHealth()
    private let recorder = Recorder()

    private var retrier: Retrier {
        Retrier(
            backoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(400)), health: health,
            observer: recorder,
            logger: Logger(label: "retrier-test"))
    }

    @Test("failures are retried with growing delays while readiness names the operation, which is cleared on success")
    func retriesUntilSuccess() async throws {
        var attempts = 0
        var waits: [Duration] = []
        var reasons: [String?] = []
        let report = Retrier.Report(operation: .publish, context: "publishing a committed batch", message: "retrying")
        let result = await retrier.run(report) { _ in
            .retry(.warning)
        } wait: { delay in
            waits.append(delay)
            reasons.append(health.notReadyReason)
            return true
        } _: { () throws -> Int in
            attempts += 1
            if attempts < 4 { throw Outage() }
            return 42
        }
        #expect(try result.get() == 42)
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(
            reasons == Array(repeating: "backing off: publishing a committed batch: database unavailable", count: 3))
        #expect(recorder.retries.withLock { $0 } == [.publish, .publish, .publish])
        // Cleared, so readiness falls back to the worker's other state.
        #expect(health.notReadyReason == "not yet subscribed to the commands topic")
    }

    @Test("a stop verdict ends the run with the attempt's error and clears readiness")
    func stopReturnsTheError() async {
        var attempts = 0
        let report = Retrier.Report(operation: .batch, context: nil, message: "retrying")
        let result = await retrier.run(report) { error in
            error is Broken ? .stop : .retry(.warning)
        } wait: { _ in
            #expect(health.notReadyReason == "backing off: database unavailable")
            return true
        } _: { () throws -> Int in
            attempts += 1
            if attempts == 1 { throw Outage() }
            throw Broken()
        }
        #expect(attempts == 2)
        #expect(throws: Broken.self) { try result.get() }
        #expect(health.notReadyReason == "not yet subscribed to the commands topic")
    }

    @Test("retrying at once neither waits nor counts as a retry")
    func retryAtOnce() async throws {
        var attempts = 0
        let report = Retrier.Report(operation: .batch, context: nil, message: "retrying")
        let result = await retrier.run(report) { _ in
            .retryAtOnce
        } wait: { _ in
            Issue.record("waited before an immediate retry")
            return true
        } _: { () throws -> Int in
            attempts += 1
            if attempts < 3 { throw Outage() }
            return attempts
        }
        #expect(try result.get() == 3)
        #expect(recorder.retries.withLock { $0 }.isEmpty)
    }

    @Test("a wait that is cut short ends the run with CancellationError")
    func cancelledWait() async {
        let report = Retrier.Report(operation: .readOffsets, context: "reading stored offsets", message: "retrying")
        let result = await retrier.run(report) { _ in
            .retry(.warning)
        } wait: { _ in
            false
        } _: { () throws -> Int in
            throw Outage()
        }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(recorder.retries.withLock { $0 } == [.readOffsets])
    }

    @Test("outages of the store and the broker are retriable; other failures are not")
    func classifiesOutages() {
        #expect(Retrier.isRetriable(StoreError.testOutage))
        #expect(!Retrier.isRetriable(Broken()))
    }
}
