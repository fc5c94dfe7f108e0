import Kafka
import Logging
import Synchronization

/// Reads the worker's four topics from cluster metadata: at start until all four exist (the
/// worker takes no work and writes nothing before that), then every
/// ``ContactWorkerService/Configuration/topicCheckInterval``.
///
/// A missing or unusable topic is the readiness reason (``WorkerHealth``); mismatches
/// (``TopicCheck/MismatchKind``) are logged when they appear and reported to the observer (the
/// metrics) on every reading. Metadata requests carry the consumer's
/// `allow.auto.create.topics=false`, so reading never creates a topic.
final class TopicWatch: Sendable {
    /// How long a metadata request may take before the reading counts as failed.
    static let metadataTimeout: Duration = .seconds(5)
    /// How long the brokers get to describe the topics' configurations. Short: a broker without
    /// DescribeConfigs (librdkafka 2.0.2's mock, LRK-16) only answers by timing out, and the request holds
    /// the consumer's queue of blocking calls (commits) meanwhile.
    static let configurationTimeout: Duration = .seconds(1)
    /// How often retention is asked for, at most: it changes rarely, and see ``configurationTimeout``.
    static let configurationInterval: Duration = .seconds(60)

    private struct State {
        var readiness = TopicReadiness()
        var loggedMismatches: Set<TopicCheck.MismatchKind> = []
        var configurationsAsked: ContinuousClock.Instant?
        var configurationsUnavailableLogged = false
    }

    let topics: WorkerTopics
    let interval: Duration
    private let consumer: KafkaConsumer
    private let bootstrapServers: String
    private let health: WorkerHealth
    private let observer: any WorkerObserver
    private let shutdown: ShutdownProgress
    private let logger: Logger
    private let state = Mutex(State())

    init(
        topics: WorkerTopics, interval: Duration, consumer: KafkaConsumer, bootstrapServers: String,
        health: WorkerHealth, observer: any WorkerObserver, shutdown: ShutdownProgress, logger: Logger
    ) {
        self.topics = topics
        self.interval = interval
        self.consumer = consumer
        self.bootstrapServers = bootstrapServers
        self.health = health
        self.observer = observer
        self.shutdown = shutdown
        self.logger = logger
    }

    /// Reads the topics until all four exist, every ``interval``.
    ///
    /// - Returns: false when a shutdown was asked for first.
    func waitUntilPresent() async -> Bool {
        while !shutdown.requested {
            if await check(atStart: true) { return true }
            let wakeUp = ContinuousClock.now + interval
            while ContinuousClock.now < wakeUp && !shutdown.requested {
                do { try await Task.sleep(for: min(.milliseconds(100), interval)) } catch { return false }
            }
        }
        return false
    }

    /// Reads the topics once and applies the result; true when all four exist.
    ///
    /// A reading that fails (no broker answers) changes nothing once the worker runs: losing the
    /// brokers is readiness's own concern (``WorkerHealth/setBrokerUnavailable(_:)``). At start it
    /// is the reason the worker is not ready.
    @discardableResult
    func check(atStart: Bool) async -> Bool {
        // While every broker is down a reading would only wait out its timeout on the consumer's
        // queue of blocking calls, ahead of a shutdown's close; the broker probe covers that time.
        // A shutdown's close waits on that same queue.
        if !atStart && (health.brokerUnavailable || shutdown.requested) { return false }
        var reading: TopicCheck
        do {
            let metadata = try await consumer.describeTopics(
                WorkerTopics.Role.allCases.map { topics[$0] }, timeout: Self.metadataTimeout)
            reading = TopicCheck(topics: topics, metadata: metadata)
        } catch {
            guard atStart, !shutdown.requested else {
                logger.debug("reading the topics' metadata failed", metadata: ["error": "\(error)"])
                return false
            }
            report(
                problem: "cannot read the topics' metadata from brokers \(bootstrapServers): \(error)", atStart: true)
            return false
        }
        // Not on the way to starting: on a broker that never answers DescribeConfigs it would
        // hold up the start by the configuration timeout.
        if reading.problem == nil, !atStart, configurationsDue() {
            await compareRetention(&reading)
        }
        report(problem: reading.problem, atStart: atStart)
        report(mismatches: reading)
        observer.topicsChecked(reading)
        return reading.problem == nil
    }

    private func configurationsDue() -> Bool {
        state.withLock { state in
            let now = ContinuousClock.now
            if let asked = state.configurationsAsked, now - asked < Self.configurationInterval { return false }
            state.configurationsAsked = now
            return true
        }
    }

    private func compareRetention(_ reading: inout TopicCheck) async {
        do {
            let configurations = try await consumer.topicConfigurations(
                [topics.commands, topics.deadLetters], timeout: Self.configurationTimeout)
            reading.compareRetention(topics: topics, configurations: configurations)
        } catch {
            let first = state.withLock { state in
                defer { state.configurationsUnavailableLogged = true }
                return !state.configurationsUnavailableLogged
            }
            if first {
                logger.info(
                    "the brokers did not describe the topics' configurations; the dead-letter retention is not compared",
                    metadata: ["error": "\(error)"])
            }
        }
    }

    private func report(problem: String?, atStart: Bool) {
        let change = state.withLock { $0.readiness.read(problem: problem, atStart: atStart) }
        switch change {
        case .none:
            break
        case .unusable(let reason):
            health.setTopicsUnavailable(reason)
            let consequence =
                atStart
                ? "taking no work until they are"
                : "readiness is 503 until they are; the partitions already assigned are still processed"
            logger.warning("topics not usable; \(consequence)", metadata: ["reason": "\(reason)"])
        case .usable:
            health.setTopicsUnavailable(nil)
            logger.info("all four topics exist")
        }
    }

    private func report(mismatches reading: TopicCheck) {
        let found = Set(reading.mismatches.map(\.kind))
        let new = state.withLock { state in
            let new = found.subtracting(state.loggedMismatches)
            // A kind this reading could not decide keeps its logged state.
            state.loggedMismatches = state.loggedMismatches.subtracting(reading.checkedKinds).union(found)
            return new
        }
        for mismatch in reading.mismatches where new.contains(mismatch.kind) {
            var metadata: Logger.Metadata = ["kind": "\(mismatch.kind.rawValue)"]
            for (key, value) in mismatch.details { metadata[key] = "\(value)" }
            logger.warning("topic mismatch: \(mismatch.message)", metadata: metadata)
        }
    }
}
