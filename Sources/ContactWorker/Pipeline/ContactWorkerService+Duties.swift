import Kafka

/// The worker's background duties, run next to the pipeline in the service's task group: the
/// periodic ones, and the watchers that turn Kafka's reports into readiness or a stop.
extension ContactWorkerService {
    /// Runs `duty` every `interval` until cancelled. A failure is logged at debug level and left
    /// to the next tick: both duties only catch up with state the database already holds.
    func every(_ interval: Duration, _ what: String, _ duty: @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            do {
                try await duty()
            } catch {
                logger.debug("\(what) failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func watchFatalErrors() async throws {
        for await error in consumer.errors {
            if error.isFatal {
                logger.critical("fatal Kafka error; stopping", metadata: ["error": "\(error)"])
                throw WorkerError.fatalKafkaError(error.description)
            }
            if error.code == .allBrokersDown {
                health.setBrokerUnavailable("\(error)")
            }
            logger.warning("Kafka reported an error", metadata: ["error": "\(error)"])
        }
    }

    /// After librdkafka reported every broker down, asks for the commands topic's metadata once a
    /// second until a broker answers, and then clears the readiness problem (librdkafka reports
    /// losing brokers, not getting them back).
    func watchBrokersComingBack() async {
        await every(.seconds(1), "probing the brokers") {
            guard self.health.brokerUnavailable else { return }
            _ = try await self.consumer.partitions(of: self.configuration.topics.commands, timeout: .seconds(2))
            self.health.setBrokerUnavailable(nil)
            self.logger.info("Kafka brokers reachable again")
        }
    }
}
