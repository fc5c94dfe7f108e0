import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Testing

@Suite("deploy/'s alerts and dashboard use only metrics a running worker exports")
struct MonitoringArtifactsTests {
    @Test("every contact_worker_ metric in alerts.yaml and the Grafana dashboard is on a real worker's /metrics")
    func metricNamesExist() async throws {
        let artifacts = try MonitoringArtifacts()
        // Guards the extraction itself: the alerts name at least the readiness and lag metrics.
        #expect(artifacts.uses["contact_worker_ready"] != nil)
        #expect(artifacts.uses["contact_worker_consumer_lag"] != nil)

        try await withHarness(.sqlite) { harness in
            let processes = try WorkerProcesses(
                harness: harness, group: "monitoring-\(UUID().uuidString.prefix(8).lowercased())",
                extraEnvironment: ["LOG_FORMAT": "json"])
            defer { processes.removeLogs() }
            let child = try processes.start("worker")
            do {
                let port = try await processes.httpPort(of: child)
                // Labelled series appear once they have a value: a processed command gives
                // commands_processed_total its first series, an assigned partition the lag's.
                let owner = try await harness.token()
                try await harness.send([
                    harness.message(
                        TestCommand(
                            type: "CreateContact", contactID: "550e8400-e29b-41d4-a716-446655440001",
                            payload: #"{"company_name": "Acme"}"#, token: owner))
                ])
                _ = try await harness.read(harness.topics.results, count: 1)
                let samples = try await within(60, "the metrics to count the command and sample the lag") {
                    while true {
                        let reply = try await HTTPReply.get(port: port, path: "/metrics", authorization: nil)
                        let samples = PrometheusSamples(reply.text)
                        if samples["contact_worker_commands_consumed_total"] == 1,
                            !samples.series("contact_worker_consumer_lag").isEmpty
                        {
                            return samples
                        }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
                let missing = artifacts.uses.filter { !samples.exports($0.key) }.sorted { $0.key < $1.key }
                #expect(
                    missing.isEmpty,
                    """
                    metrics used in deploy/ that the worker does not export:
                    \(missing.map { "\($0.key) (in \($0.value.sorted().joined(separator: ", ")))" }.joined(separator: "\n"))
                    """)

                try await processes.expectCleanStop(child)
            } catch {
                await processes.killAll()
                throw error
            }
        }
    }

    @Test("a histogram is exported by its family; a name the exposition lacks is not")
    func exportsMatchesFamilies() {
        let samples = PrometheusSamples(
            """
            # TYPE contact_worker_batch_size histogram
            contact_worker_batch_size_bucket{le="1.0"} 0
            contact_worker_batch_size_sum 0
            contact_worker_batch_size_count 0
            # TYPE contact_worker_dead_letters_total counter
            contact_worker_dead_letters_total 0
            """)
        #expect(samples.exports("contact_worker_batch_size"))
        #expect(samples.exports("contact_worker_batch_size_bucket"))
        #expect(samples.exports("contact_worker_batch_size_count"))
        #expect(samples.exports("contact_worker_dead_letters_total"))
        #expect(!samples.exports("contact_worker_dead_letter_total"))
        #expect(!samples.exports("contact_worker_dead_letters_total_count"))
        #expect(
            MonitoringArtifacts.workerMetricNames(
                in: #"sum(rate(contact_worker_x_bucket{job="$job"}[5m])) / up{job="contact-worker"} + kube_pod_x"#)
                == ["contact_worker_x_bucket"])
    }
}
