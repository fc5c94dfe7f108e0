import ContactStore
import Logging

/// What the worker does before it takes any work: migrate the store (`DATABASE_MIGRATE`), or
/// else check that its schema is exactly this build's, waiting with capped backoff while the
/// database is unreachable (PostgreSQL still starting next to the worker).
///
/// Without the check, a forgotten `contact-worker migrate` (or a rollback past a migration) would
/// show only as failures in the middle of the run. Any other store error (a schema newer than
/// this build, a failed migration) stops the worker. The gate runs inside the service, so the
/// HTTP side already answers meanwhile: liveness 200, readiness 503 with the reason.
struct StartupGate: Sendable {
    let store: any ContactStore
    let migrate: Bool
    let shutdown: ShutdownProgress
    /// Backs off from a short first delay: the database is usually only starting.
    let retrier: Retrier
    let logger: Logger

    /// Migrates or checks the store once it is reachable.
    ///
    /// - Returns: false when a shutdown was asked for first: the worker then stops cleanly
    ///   without having started.
    func open() async throws -> Bool {
        let what = migrate ? "migrating the database" : "checking the database's schema"
        let report = Retrier.Report(
            operation: .migrate, context: what,
            message: migrate
                ? "database unavailable; migrating when it is reachable"
                : "database unavailable; checking the schema version when it is reachable")
        var stopped = false
        let result = await retrier.run(report) { error in
            guard let error = error as? StoreError, error.isRetriable else { return .stop }
            if shutdown.requested {
                stopped = true
                return .stop
            }
            return .retry(.warning)
        } wait: { delay in
            // Waits in short steps, so a SIGTERM meanwhile stops the worker at once.
            let wakeUp = ContinuousClock.now + delay
            while ContinuousClock.now < wakeUp && !shutdown.requested {
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return false }
            }
            stopped = shutdown.requested
            return !stopped
        } _: {
            if migrate {
                try await store.migrate()
            } else if let current = try await ContactStoreSchema.mismatchedVersion(of: store) {
                throw WorkerError.schemaMismatch(database: current, build: ContactStoreSchema.latestVersion)
            }
        }
        switch result {
        case .success:
            return true
        case .failure where stopped:
            logger.notice("stopped before the database was reachable")
            return false
        case .failure(let error) where error is CancellationError:
            return false
        case .failure(let error):
            throw error
        }
    }
}
