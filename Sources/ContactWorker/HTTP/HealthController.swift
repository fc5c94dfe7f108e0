import ContactDomain
import ContactStore
import Hummingbird

/// `GET /health/live` and `GET /health/ready`.
///
/// Liveness answers 200 as long as the process serves HTTP. Readiness answers 200 only when the
/// worker has subscribed to the commands topic, a broker is reachable, it is not backing off from
/// a transient failure (``WorkerHealth``)
/// and the store answers a ping within ``pingTimeout``; otherwise 503 with the reason, e.g.
/// `{"status": "not_ready", "reason": "backing off: …"}`.
struct HealthController: Sendable {
    let health: WorkerHealth
    let store: any ContactStore
    /// How long the store may take to answer a readiness ping.
    var pingTimeout: Duration = .seconds(2)

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/health/live") { _, _ in
            JSONResponse.make(status: 200, body: .object(["status": .string("alive")]))
        }
        router.get("/health/ready") { _, _ in
            await self.readiness()
        }
    }

    func readiness() async -> Response {
        if let reason = await notReadyReason() {
            return Self.notReady(reason)
        }
        return JSONResponse.make(status: 200, body: .object(["status": .string("ready")]))
    }

    /// Why the worker is not ready, or nil when it is: the check behind `GET /health/ready` and
    /// the `contact_worker_ready` gauge.
    func notReadyReason() async -> String? {
        if let reason = health.notReadyReason {
            return reason
        }
        if let failure = await pingFailure() {
            return "store unreachable: \(failure)"
        }
        return nil
    }

    static func notReady(_ reason: String) -> Response {
        JSONResponse.make(status: 503, body: .object(["status": .string("not_ready"), "reason": .string(reason)]))
    }

    /// Why the store did not answer, or nil when it did.
    private func pingFailure() async -> String? {
        let store = self.store
        let timeout = pingTimeout
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await store.ping()
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return nil }
                return "no answer within \(timeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
