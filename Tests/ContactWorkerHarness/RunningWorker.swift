import ContactWorker
import ServiceLifecycle

/// A worker running in its own `ServiceGroup`.
public struct RunningWorker: Sendable {
    public let group: ServiceGroup
    public let task: Task<Void, any Error>
    public let health: WorkerHealth
    public let groupID: String

    public init(group: ServiceGroup, task: Task<Void, any Error>, health: WorkerHealth, groupID: String) {
        self.group = group
        self.task = task
        self.health = health
        self.groupID = groupID
    }

    /// Triggers graceful shutdown and waits for the worker to finish.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
