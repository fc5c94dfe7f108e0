import ContactDomain
import ContactStore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The worker's HTTP side (docs/contract.md §10), one Hummingbird application on one port:
///
/// - `GET /contacts/{id}/interactions?skip&limit` and `GET /contacts/{id}/status-history?skip&limit`:
///   Bearer JWT with `view_contacts`, scoped to the token's business (``ReadAccess``, ``ContactQueries``);
/// - `GET /health/live` and `GET /health/ready` (``WorkerHealth`` plus a store ping);
/// - `GET /metrics` (``WorkerMetrics`` in Prometheus text format, with the readiness check as a gauge).
///
/// It is a `Service`: put it in the worker's `ServiceGroup` before the worker, so that on SIGTERM
/// the worker drains first while readiness reports "shutting down", then the server stops
/// accepting connections and finishes the requests in flight.
public struct WorkerHTTPServer: Service {
    /// Where to listen.
    public struct Configuration: Sendable {
        /// The address to bind (`0.0.0.0` by default: every interface, as in a container).
        public var host: String
        /// The port (`HTTP_PORT`); 0 picks a free one, reported to `onServerRunning`.
        public var port: Int

        /// Creates a configuration.
        public init(host: String = "0.0.0.0", port: Int) {
            self.host = host
            self.port = port
        }
    }

    private let application: Application<RouterResponder<BasicRequestContext>>

    /// Builds the routes; nothing listens until ``run()``.
    ///
    /// - Parameters:
    ///   - verifier: the worker's token verifier (same key, issuer and audience as for commands).
    ///   - onServerRunning: called with the bound port once the server accepts connections.
    public init(
        configuration: Configuration,
        store: any ContactStore,
        verifier: TokenVerifier,
        health: WorkerHealth,
        metrics: WorkerMetrics,
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) {
        // HEAD answers like GET without the body (RFC 9110 §9.3.2); some probes and proxies use it.
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        ContactReadController(
            access: ReadAccess(verifier: verifier), queries: ContactQueries(store: store), logger: logger
        )
        .addRoutes(to: router)
        let readiness = HealthController(health: health, store: store)
        readiness.addRoutes(to: router)
        MetricsController(metrics: metrics, readiness: readiness).addRoutes(to: router)
        application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "contact-worker"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("HTTP server listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
                await onServerRunning(port)
            },
            logger: logger)
    }

    /// Serves until graceful shutdown (or cancellation).
    public func run() async throws {
        try await application.run()
    }
}
