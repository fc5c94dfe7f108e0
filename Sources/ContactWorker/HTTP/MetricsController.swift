import Hummingbird

/// `GET /metrics`: the worker's metrics in the Prometheus text exposition format (version 0.0.4).
struct MetricsController: Sendable {
    let metrics: WorkerMetrics

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Self.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
    }
}
