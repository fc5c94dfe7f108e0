import Hummingbird

/// `GET /metrics`: the worker's metrics in the Prometheus text exposition format (version 0.0.4).
///
/// Each scrape first runs the readiness check and sets `contact_worker_ready` from it, so the
/// gauge says what `GET /health/ready` would have answered at that moment (store ping included).
struct MetricsController: Sendable {
    let metrics: WorkerMetrics
    let readiness: HealthController

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/metrics") { _, _ in
            self.metrics.setReady(await self.readiness.notReadyReason() == nil)
            return Response(
                status: .ok, headers: [.contentType: Self.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
    }
}
