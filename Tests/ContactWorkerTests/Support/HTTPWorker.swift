import ContactDomain
import ContactStore
@testable import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import ServiceLifecycle

/// A worker with its HTTP side, composed exactly as `WorkerApplication.run` composes them (HTTP
/// server, lag sampler, worker, one `ServiceGroup`), on the harness's mock cluster and store, with
/// the server on a free port.
struct HTTPWorker: Sendable {
    let worker: RunningWorker
    let port: Int
    let metrics: WorkerMetrics

    /// Sends a GET to `path` (with its query) and returns status, content type and body.
    func get(_ path: String, token: String? = nil, authorization: String? = nil) async throws -> HTTPReply {
        try await HTTPReply.get(port: port, path: path, authorization: authorization ?? token.map { "Bearer \($0)" })
    }

    /// Sends a HEAD to `path`: the status and headers a GET would have, without the body.
    func head(_ path: String) async throws -> HTTPReply {
        try await HTTPReply.get(port: port, path: path, authorization: nil, method: "HEAD")
    }

    func stop() async throws { try await worker.stop() }
}

extension WorkerHarness {
    /// Starts the worker and its HTTP side; returns once the server listens.
    ///
    /// - Parameters:
    ///   - health: the readiness state to share (a fresh one by default, updated by the worker).
    ///   - lagInterval: how often the lag sampler runs (short, so tests need not wait).
    ///   - topicCheckInterval: how often the worker reads its topics' metadata (short, for the same reason).
    func startHTTPWorker(
        group: String = "worker-\(UUID().uuidString.prefix(8).lowercased())",
        lagInterval: Duration = .milliseconds(200),
        topicCheckInterval: Duration = .milliseconds(200)
    ) async throws -> HTTPWorker {
        let consumer = groupMemberConfiguration(group: group)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: testLogger)
        let metrics = WorkerMetrics()
        let health = WorkerHealth()
        let worker = try ContactWorkerService(
            configuration: .init(
                topics: topics, group: group, initialBackoff: .milliseconds(50), maximumBackoff: .seconds(1),
                topicCheckInterval: topicCheckInterval),
            consumerConfiguration: consumer, producer: producer, store: store, verifier: verifier, observer: metrics,
            health: health, logger: testLogger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let http = WorkerHTTPServer(
            configuration: .init(host: "127.0.0.1", port: try TestPorts.unassigned()), store: store, verifier: verifier,
            health: health,
            metrics: metrics, logger: testLogger, onServerRunning: { portContinuation.yield($0) })
        let lag = ConsumerLagMonitor(
            configuration: .init(topic: topics.commands, group: group, interval: lagInterval),
            producer: producer, metrics: metrics, store: store, assignment: { worker.assignedPartitions },
            logger: testLogger)
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: [.init(service: http), .init(service: worker), .init(service: lag)], logger: testLogger))
        let task = Task { try await serviceGroup.run() }
        let running = RunningWorker(group: serviceGroup, task: task, health: health, groupID: group)
        let port = try await within(30, "the HTTP server to listen") {
            for await port in ports { return port }
            throw TimedOut(what: "the HTTP server's port")
        }
        return HTTPWorker(worker: running, port: port, metrics: metrics)
    }

    /// Starts only an HTTP server over `store`, with `health` as given (no worker): for readiness
    /// states a running worker does not hold still in.
    func startHTTPServer(
        health: WorkerHealth, store: (any ContactStore)? = nil
    ) async throws -> (port: Int, stop: @Sendable () async throws -> Void) {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let http = WorkerHTTPServer(
            configuration: .init(host: "127.0.0.1", port: try TestPorts.unassigned()), store: store ?? self.store,
            verifier: verifier,
            health: health,
            metrics: WorkerMetrics(), logger: testLogger, onServerRunning: { portContinuation.yield($0) })
        let serviceGroup = ServiceGroup(configuration: .init(services: [.init(service: http)], logger: testLogger))
        let task = Task { try await serviceGroup.run() }
        let port = try await within(30, "the HTTP server to listen") {
            for await port in ports { return port }
            throw TimedOut(what: "the HTTP server's port")
        }
        return (
            port,
            {
                await serviceGroup.triggerGracefulShutdown()
                try await task.value
            }
        )
    }

    /// Polls `GET path` until `condition` holds for the reply (30 s at most).
    func poll(
        _ worker: HTTPWorker, _ path: String, until condition: @escaping @Sendable (HTTPReply) throws -> Bool
    ) async throws -> HTTPReply {
        try await within(30, "GET \(path) to satisfy the condition") {
            while true {
                let reply = try await worker.get(path)
                if try condition(reply) { return reply }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
