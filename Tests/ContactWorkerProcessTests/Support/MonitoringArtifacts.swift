import Foundation

/// The monitoring files under `deploy/` and the worker metrics they name.
///
/// A worker metric is any word starting with `contact_worker_` (expressions, template queries,
/// annotations alike). Metrics of other exporters (`up`, kube-state-metrics) are not the worker's
/// and are left out.
struct MonitoringArtifacts {
    /// The files, relative to the repository root.
    static let paths = ["deploy/prometheus/alerts.yaml", "deploy/grafana/contact-worker.json"]

    /// The repository this test file belongs to.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Each worker metric name used, with the files that use it.
    let uses: [String: Set<String>]

    /// Reads every file of ``paths`` under `root`; throws when one is missing.
    init(root: URL = Self.repositoryRoot) throws {
        var uses: [String: Set<String>] = [:]
        for path in Self.paths {
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            for name in Self.workerMetricNames(in: text) { uses[name, default: []].insert(path) }
        }
        self.uses = uses
    }

    /// The distinct `contact_worker_…` words of `text`.
    static func workerMetricNames(in text: String) -> Set<String> {
        Set(text.matches(of: /contact_worker_[A-Za-z0-9_]+/).map { String($0.output) })
    }
}
