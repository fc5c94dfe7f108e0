import ContactWorker
import Kafka

extension WorkerSettings {
    /// These settings with ``MockCluster/clientProperties`` added where they set nothing of their
    /// own, for the subcommands that run the worker on an embedded mock cluster (`dev`, `bench e2e`).
    func onMockCluster() -> WorkerSettings {
        var settings = self
        settings.kafkaProperties.merge(MockCluster.clientProperties) { own, _ in own }
        return settings
    }
}
