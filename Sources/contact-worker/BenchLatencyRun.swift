import ArgumentParser
import Kafka

/// Produce-to-result latency at a fixed rate: commands are sent in short fixed ticks for `seconds`,
/// and each one's latency is the time from handing it to the producer (and from the broker's
/// acknowledgement) to its result arriving on the results topic.
struct BenchLatencyRun: Sendable {
    let bootstrap: String
    let builder: BenchCommandBuilder
    let contactIDs: [String]
    /// The index of the first command sent, so its `index`-derived fields differ from earlier runs'.
    let firstIndex: Int
    let rate: Int
    let seconds: Int

    /// Runs the load, waits for every command's result, and returns the report: p50, p99 and max
    /// from both starting points.
    func run(results: BenchResultsReader) async throws -> String {
        let total = rate * seconds
        let times = BenchSendTimes(count: total)
        results.trackLatency(times)
        // Like the results reader, the sending side should not add its own batching delay:
        // the default linger.ms (5) would count as worker latency.
        var senderConfiguration = KafkaProducerConfiguration(MockCluster.configuration(bootstrap))
        senderConfiguration.set("linger.ms", "0")
        let sender = try KafkaProducer(configuration: senderConfiguration, logger: BenchCommand.logger)
        // A new producer's first send waits for its idempotent producer id and the topic's
        // metadata (about a second on the mock); one command acknowledged before the clock
        // starts keeps that set-up out of the first second's latencies.
        try await BenchEndToEndCommand.send(
            [builder.addInteraction(contact: contactIDs[0], index: firstIndex + total, correlationID: "warm-up")],
            with: sender)
        let tick = Duration.milliseconds(10)
        let perTick = max(1, rate / 100)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var index = 0
            var deadline = start
            while index < total {
                let range = index..<min(index + perTick, total)
                let messages = range.map {
                    builder.addInteraction(
                        contact: contactIDs[$0 % contactIDs.count], index: firstIndex + $0, correlationID: "lat-\($0)")
                }
                times.mark(range, .enqueued, at: clock.now)
                group.addTask {
                    try await BenchEndToEndCommand.send(messages, with: sender)
                    times.mark(range, .acknowledged, at: clock.now)
                }
                index = range.upperBound
                deadline = deadline.advanced(by: tick)
                try await clock.sleep(until: deadline, tolerance: .milliseconds(1))
            }
            try await group.waitForAll()
        }
        await sender.shutdown()
        let acknowledgedRate = Double(total) / BenchCommand.secondsValue(start.duration(to: clock.now))
        let deadline = clock.now.advanced(by: .seconds(120))
        while times.resultedCount() < total {
            guard clock.now < deadline else {
                throw ValidationError("only \(times.resultedCount()) of \(total) results arrived within 120 s")
            }
            try await clock.sleep(for: .milliseconds(10))
        }
        let fromSend = times.latencies(from: .enqueued)
        let fromBroker = times.latencies(from: .acknowledged)
        return """
            latency at \(rate) commands/s for \(seconds) s (\(fromSend.count) results; the broker acknowledged \(Int(acknowledgedRate)) commands/s):
              handed to the producer → result received:     \(Self.percentiles(fromSend))
              acknowledged by the broker → result received: \(Self.percentiles(fromBroker))
            """
    }

    /// `p50 … ms, p99 … ms, max … ms` of `latencies`.
    static func percentiles(_ latencies: [Duration]) -> String {
        let sorted = latencies.sorted()
        guard let last = sorted.last else { return "no samples" }
        func at(_ p: Double) -> String {
            BenchCommand.milliseconds(
                sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))])
        }
        return "p50 \(at(0.50)) ms, p99 \(at(0.99)) ms, max \(BenchCommand.milliseconds(last)) ms"
    }
}
