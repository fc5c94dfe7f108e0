import ContactDomain
import ContactStore
@testable import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import ServiceLifecycle
import Synchronization
import Testing

@Suite("HTTP health and metrics of a running worker (docs/contract.md §9, §10)")
struct HTTPHealthAndMetricsTests {
    @Test("liveness answers 200; readiness 200 once the worker joined its group", arguments: Backend.available)
    func liveAndReady(backend: Backend) async throws {
        try await withHarness(backend) { harness in
            let worker = try await harness.startHTTPWorker()

            let live = try await worker.get("/health/live")
            #expect(live.status == 200)
            #expect(live.contentType == "application/json")
            #expect(live.text == #"{"status":"alive"}"#)

            let ready = try await harness.poll(worker, "/health/ready") { $0.status == 200 }
            #expect(ready.contentType == "application/json")
            #expect(ready.text == #"{"status":"ready"}"#)

            // HEAD answers as GET does, without a body (probes and proxies use it).
            for path in ["/health/live", "/health/ready", "/metrics"] {
                let head = try await worker.head(path)
                #expect(head.status == 200, "HEAD \(path)")
                #expect(head.body.isEmpty, "HEAD \(path)")
            }
            #expect(try await worker.head("/contacts/\(UUID())/interactions").status == 401)
            try await worker.stop()
        }
    }

    @Test("readiness is 503 while no Kafka broker is reachable, and 200 again once one is")
    func notReadyWhileBrokersAreDown() async throws {
        try await withHarness(.sqlite) { harness in
            let worker = try await harness.startHTTPWorker()
            _ = try await harness.poll(worker, "/health/ready") { $0.status == 200 }

            try harness.cluster.setBrokerDown(1)
            let down = try await harness.poll(worker, "/health/ready") { $0.status == 503 }
            #expect(down.text.hasPrefix(#"{"status":"not_ready","reason":"no Kafka broker reachable: "#))
            try harness.cluster.setBrokerUp(1)
            let up = try await harness.poll(worker, "/health/ready") { $0.status == 200 }
            #expect(up.text == #"{"status":"ready"}"#)
            try await worker.stop()
        }
    }

    @Test("readiness is 503 with the reason: not joined, backing off, shutting down, store unreachable")
    func notReady() async throws {
        try await withHarness(.sqlite) { harness in
            let health = WorkerHealth()
            let server = try await harness.startHTTPServer(health: health)
            func ready() async throws -> HTTPReply {
                try await HTTPReply.get(port: server.port, path: "/health/ready", authorization: nil)
            }

            let notJoined = try await ready()
            #expect(notJoined.status == 503)
            #expect(notJoined.contentType == "application/json")
            #expect(notJoined.text == #"{"status":"not_ready","reason":"not yet subscribed to the commands topic"}"#)

            health.setJoined(true)
            #expect(try await ready().status == 200)

            health.setBackingOff(.batch, "database unavailable")
            let backingOff = try await ready()
            #expect(backingOff.status == 503)
            #expect(backingOff.text == #"{"status":"not_ready","reason":"backing off: database unavailable"}"#)
            // One operation's success does not hide another's outage.
            health.setBackingOff(.publish, "broker unavailable")
            health.setBackingOff(.batch, nil)
            let stillBackingOff = try await ready()
            #expect(stillBackingOff.status == 503)
            #expect(stillBackingOff.text == #"{"status":"not_ready","reason":"backing off: broker unavailable"}"#)
            health.setBackingOff(.publish, nil)
            #expect(try await ready().status == 200)

            // Liveness does not depend on readiness.
            health.setStopping()
            let stopping = try await ready()
            #expect(stopping.status == 503)
            #expect(stopping.text == #"{"status":"not_ready","reason":"shutting down"}"#)
            #expect(try await HTTPReply.get(port: server.port, path: "/health/live", authorization: nil).status == 200)
            try await server.stop()

            // A store that does not answer: joined and not backing off, still not ready.
            let closed = try await makeContactStore(url: harness.databaseURL, logger: testLogger)
            await closed.close()
            let pingError = await { () async -> String in
                do {
                    try await closed.ping()
                    return "no error"
                } catch {
                    return "\(error)"
                }
            }()
            let joined = WorkerHealth()
            joined.setJoined(true)
            let unreachable = try await harness.startHTTPServer(health: joined, store: closed)
            let reply = try await HTTPReply.get(port: unreachable.port, path: "/health/ready", authorization: nil)
            #expect(reply.status == 503)
            #expect(
                reply.text
                    == JSONValue.object([
                        "status": .string("not_ready"), "reason": .string("store unreachable: \(pingError)"),
                    ])
                    .encodedString)
            try await unreachable.stop()
        }
    }

    @Test("metrics: contact_worker_ready is 1 exactly when readiness answers 200, store ping included")
    func readyGaugeFollowsReadiness() async throws {
        try await withHarness(.sqlite) { harness in
            func scrape(_ port: Int) async throws -> (ready: Int, gauge: Double?) {
                let ready = try await HTTPReply.get(port: port, path: "/health/ready", authorization: nil)
                let metrics = try await HTTPReply.get(port: port, path: "/metrics", authorization: nil)
                return (ready.status, PrometheusSamples(metrics.text)[WorkerMetrics.Name.ready])
            }
            let health = WorkerHealth()
            let server = try await harness.startHTTPServer(health: health)
            #expect(try await scrape(server.port) == (503, 0))
            health.setJoined(true)
            #expect(try await scrape(server.port) == (200, 1))
            health.setBackingOff(.batch, "database unavailable")
            #expect(try await scrape(server.port) == (503, 0))
            health.setBackingOff(.batch, nil)
            #expect(try await scrape(server.port) == (200, 1))
            health.setStopping()
            #expect(try await scrape(server.port) == (503, 0))
            try await server.stop()

            // Joined and not backing off, but the store does not answer.
            let closed = try await makeContactStore(url: harness.databaseURL, logger: testLogger)
            await closed.close()
            let joined = WorkerHealth()
            joined.setJoined(true)
            let unreachable = try await harness.startHTTPServer(health: joined, store: closed)
            #expect(try await scrape(unreachable.port) == (503, 0))
            try await unreachable.stop()
        }
    }

    @Test("metrics: the counters move by exactly the commands sent", arguments: Backend.available)
    func countersMoveByTheCommandsSent(backend: Backend) async throws {
        try await withHarness(backend) { harness in
            let worker = try await harness.startHTTPWorker()
            let owner = try await harness.token()
            let viewer = try await harness.token(sub: "u-2", name: "Vic Viewer", role: "viewer")

            let scrape = try await worker.get("/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.contentType == "text/plain; version=0.0.4; charset=utf-8")
            let before = PrometheusSamples(scrape.text)
            #expect(before[WorkerMetrics.Name.commandsConsumed] == 0)
            #expect(before[WorkerMetrics.Name.deadLetters] == 0)
            #expect(before[WorkerMetrics.Name.misrouted] == 0)
            for operation in RetriedOperation.allCases {
                #expect(before[WorkerMetrics.Name.retries, ["operation": operation.rawValue]] == 0)
            }
            #expect(before[WorkerMetrics.Name.outboxBacklog] == 0)

            // 3 CreateContact and 2 AddInteraction accepted, one UpdateStatus refused (403: a viewer
            // cannot edit), two made-up types (401 without a token, 422 with one), one message that is
            // not JSON (dead-lettered).
            let contacts = (1...3).map { "550e8400-e29b-41d4-a716-44665544000\($0)" }
            var messages = contacts.map {
                harness.message(
                    TestCommand(
                        type: "CreateContact", contactID: $0, payload: #"{"company_name": "Co \#($0.suffix(1))"}"#,
                        token: owner))
            }
            messages += (0..<2).map {
                harness.message(
                    TestCommand(
                        type: "AddInteraction", contactID: contacts[0], issuedAt: "2024-01-10T15:0\($0):00Z",
                        payload: #"{"type": "note", "description": "Note \#($0)"}"#, token: owner))
            }
            messages.append(
                harness.message(
                    TestCommand(
                        type: "UpdateStatus", contactID: contacts[1],
                        payload: #"{"relationship_status": "qualified_lead"}"#,
                        token: viewer)))
            // A type made up by the sender must not become a label of its own: any sender could
            // create series without bound.
            messages.append(
                harness.message(
                    TestCommand(type: "Mystery-\(UUID())", contactID: contacts[2], payload: "{}", token: nil)))
            messages.append(
                harness.message(
                    TestCommand(type: "Mystery-\(UUID())", contactID: contacts[2], payload: "{}", token: owner))
            )
            messages.append(
                KafkaOutgoingMessage(
                    topic: harness.topics.commands, partition: 0, key: Array("poison".utf8),
                    value: Array("not json {".utf8)
                ))
            try await harness.send(messages)
            let results = try await harness.read(harness.topics.results, count: 8).map(PublishedResult.init)
            #expect(results.map(\.status).sorted { ($0 ?? 0) < ($1 ?? 0) } == [201, 201, 201, 201, 201, 401, 403, 422])
            _ = try await harness.read(harness.topics.deadLetters, count: 1)

            // The observer runs once a batch is published; the lag sampler every 200 ms.
            let settled = try await harness.poll(worker, "/metrics") { reply in
                let samples = PrometheusSamples(reply.text)
                let lags = samples.series(WorkerMetrics.Name.consumerLag)
                // The backlog is a sample too: a pass can read the stored offsets (written with the
                // outbox rows) before the rows are marked published, so wait for a pass after that.
                return samples[WorkerMetrics.Name.commandsConsumed] == 9 && lags.count == harness.commandPartitions
                    && lags.values.allSatisfy { $0 == 0 } && samples[WorkerMetrics.Name.outboxBacklog] == 0
            }
            let after = PrometheusSamples(settled.text)
            func delta(_ name: String, _ labels: [String: String] = [:]) -> Double? {
                guard let value = after[name, labels] else { return nil }
                return value - (before[name, labels] ?? 0)
            }
            #expect(delta(WorkerMetrics.Name.commandsConsumed) == 9)
            let processed = WorkerMetrics.Name.commandsProcessed
            #expect(delta(processed, ["command_type": "CreateContact", "status": "201"]) == 3)
            #expect(delta(processed, ["command_type": "AddInteraction", "status": "201"]) == 2)
            #expect(delta(processed, ["command_type": "UpdateStatus", "status": "403"]) == 1)
            #expect(delta(processed, ["command_type": "unknown", "status": "401"]) == 1)
            #expect(delta(processed, ["command_type": "unknown", "status": "422"]) == 1)
            #expect(after.series(processed).count == 5)
            let outcomes = WorkerMetrics.Name.commandOutcomes
            #expect(delta(outcomes, ["outcome": "applied"]) == 5)
            #expect(delta(outcomes, ["outcome": "rejected"]) == 3)
            #expect(delta(outcomes, ["outcome": "duplicate"]) == 0)
            #expect(delta(outcomes, ["outcome": "dead_lettered"]) == 1)
            #expect(delta(WorkerMetrics.Name.deadLetters) == 1)
            #expect(delta(WorkerMetrics.Name.misrouted) == 0)
            #expect(after.series(WorkerMetrics.Name.retries).values.allSatisfy { $0 == 0 })
            #expect(after[WorkerMetrics.Name.outboxBacklog] == 0)
            // Every consumed message is in exactly one batch; every batch has a duration.
            #expect(after[WorkerMetrics.Name.batchSize + "_sum"] == 9)
            let batches = try #require(after[WorkerMetrics.Name.batchSize + "_count"])
            #expect(batches >= 1 && batches <= 9)
            #expect(after[WorkerMetrics.Name.batchDuration + "_count"] == batches)
            #expect(after[WorkerMetrics.Name.batchDuration + "_bucket", ["le": "+Inf"]] == batches)
            // One latency sample per consumed message (all have a Kafka timestamp); none took a minute.
            #expect(after[WorkerMetrics.Name.commandLatency + "_count"] == 9)
            #expect(after[WorkerMetrics.Name.commandLatency + "_bucket", ["le": "60.0"]] == 9)
            for partition in 0..<harness.commandPartitions {
                #expect(
                    after[
                        WorkerMetrics.Name.consumerLag, ["topic": harness.topics.commands, "partition": "\(partition)"]]
                        == 0)
            }

            // A re-sent command is a duplicate: counted as consumed and processed again, not applied.
            // Sent with another key, it is counted as not keyed by its contact_id.
            var rekeyed = messages[0]
            rekeyed.key = Array("not-the-contact-id".utf8)
            try await harness.send([rekeyed])
            _ = try await harness.read(harness.topics.results, count: 9)
            let again = PrometheusSamples(
                try await harness.poll(worker, "/metrics") {
                    PrometheusSamples($0.text)[WorkerMetrics.Name.commandsConsumed] == 10
                }.text)
            #expect(again[outcomes, ["outcome": "duplicate"]] == 1)
            #expect(again[outcomes, ["outcome": "applied"]] == 5)
            #expect(again[processed, ["command_type": "CreateContact", "status": "201"]] == 4)
            #expect(again[WorkerMetrics.Name.misrouted] == 1)
            try await worker.stop()
        }
    }

    @Test("retries are counted by what was retried: reading offsets, writing a batch, publishing it")
    func retriesByOperation() async throws {
        try await withHarness(.sqlite) { harness in
            let metrics = WorkerMetrics()
            let publishFailed = Mutex(false)
            let worker = try harness.startWorker(
                store: FailingOnceStore(harness.store), observer: metrics,
                beforeSending: { _ in
                    if publishFailed.withLock({ failed in
                        defer { failed = true }
                        return !failed
                    }) {
                        throw KafkaError.brokerUnreachable(bootstrap: "test", underlying: "down for the test")
                    }
                })
            let token = try await harness.token()
            try await harness.send([
                harness.message(
                    TestCommand(
                        type: "CreateContact", contactID: "550e8400-e29b-41d4-a716-446655440001",
                        payload: #"{"company_name": "Retry Co"}"#,
                        token: token))
            ])
            let results = try await harness.read(harness.topics.results, count: 1).map(PublishedResult.init)
            try await worker.stop()
            #expect(results.map(\.status) == [201])

            let samples = PrometheusSamples(String(decoding: metrics.exposition(), as: UTF8.self))
            func retries(_ operation: RetriedOperation) -> Double? {
                samples[WorkerMetrics.Name.retries, ["operation": operation.rawValue]]
            }
            #expect(retries(.readOffsets) == 1)
            #expect(retries(.batch) == 1)
            #expect(retries(.publish) == 1)
            #expect(retries(.deadLetter) == 0)
        }
    }

    @Test("consumer lag is the high watermark minus the next offset to process, per assigned partition")
    func consumerLag() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let owner = try await harness.token()
            let commands = (1...5).map {
                TestCommand(
                    type: "CreateContact", contactID: "550e8400-e29b-41d4-a716-44665544000\($0)",
                    payload: #"{"company_name": "Co"}"#, token: owner)
            }
            try await harness.send(commands.map(harness.message))
            let consumed = try await harness.read(harness.topics.commands, count: 5)

            // No worker: the sampler is given the assignment, and batches are reported by hand.
            let partition = TopicPartition(harness.topics.commands, 0)
            let assignment = Locked([partition])
            let metrics = WorkerMetrics()
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: harness.cluster.bootstrapServers),
                logger: testLogger)
            let monitor = ConsumerLagMonitor(
                configuration: .init(topic: harness.topics.commands, group: "lag-test", interval: .milliseconds(100)),
                producer: producer, metrics: metrics, store: harness.store, assignment: { assignment.value },
                logger: testLogger)
            let group = ServiceGroup(configuration: .init(services: [.init(service: monitor)], logger: testLogger))
            let task = Task { try await group.run() }
            let series = PrometheusSamples.key(
                WorkerMetrics.Name.consumerLag, ["topic": partition.topic, "partition": "0"])
            func waitForLag(_ expected: Double?) async throws {
                try await eventually(30, "consumer lag \(String(describing: expected))", every: .milliseconds(50)) {
                    PrometheusSamples(String(decoding: metrics.exposition(), as: UTF8.self)).values[series] == expected
                }
            }

            // After the first complete sample the "sampled at" gauge says about now.
            let before = Date().timeIntervalSince1970
            // Nothing processed and nothing stored for the group: all five wait.
            try await waitForLag(5)
            let sampledAt = try #require(
                PrometheusSamples(String(decoding: metrics.exposition(), as: UTF8.self))[WorkerMetrics.Name.lagSampled])
            #expect(sampledAt >= before.rounded(.down) - 1 && sampledAt <= Date().timeIntervalSince1970 + 1)
            metrics.batchProcessed(BatchSummary(), messages: Array(consumed.prefix(3)), duration: .milliseconds(3))
            try await waitForLag(2)
            metrics.batchProcessed(BatchSummary(), messages: Array(consumed.suffix(2)), duration: .milliseconds(2))
            try await waitForLag(0)
            // Revoked: the series goes away rather than reporting a stale lag.
            assignment.withLock { $0 = [] }
            try await waitForLag(nil)

            await group.triggerGracefulShutdown()
            try await task.value
            await producer.shutdown()
        }
    }
}
