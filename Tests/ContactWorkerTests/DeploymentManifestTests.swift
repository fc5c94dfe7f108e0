import ContactWorker
import Foundation
import Testing
import Yams

@Suite("Deployment manifests: every setting they give is one the worker reads and accepts")
struct DeploymentManifestTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Variables the manifests set for the process rather than the worker: glibc reads
    /// `MALLOC_ARENA_MAX` (docs/operations.md, Memory).
    static let runtimeVariables: Set<String> = ["MALLOC_ARENA_MAX"]

    private func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    /// The variables in `environment` the worker would ignore: neither a setting's variable, nor a
    /// librdkafka property, nor one of ``runtimeVariables``.
    private func ignoredVariables(_ environment: [String: String]) -> [String] {
        environment.keys.filter {
            !WorkerSettings.reads(environmentVariable: $0) && !Self.runtimeVariables.contains($0)
        }
        .sorted()
    }

    /// The dotted keys of a YAML configuration file's values that the worker does not read.
    private func ignoredKeys(inFile path: String) throws -> [String] {
        func leaves(_ node: Node, _ prefix: String) -> [String] {
            guard let mapping = node.mapping else { return [prefix] }
            return mapping.flatMap { key, value in
                leaves(value, prefix.isEmpty ? key.string ?? "" : "\(prefix).\(key.string ?? "")")
            }
        }
        let root = try Yams.compose(yaml: String(contentsOfFile: path, encoding: .utf8))
        return (root.map { leaves($0, "") } ?? []).filter { !WorkerSettings.settingKeys.contains($0) }.sorted()
    }

    @Test("the StatefulSet's environment and its ConfigMap's file: known to the worker, and accepted")
    func kubernetes() async throws {
        let manifests = try KubernetesManifests(directory: Self.repository.appendingPathComponent("deploy/kubernetes"))
        try await withDirectory { root in
            let pod = try KubernetesPod(statefulSet: try manifests.only(kind: "StatefulSet"), in: manifests, root: root)
            #expect(Array(pod.arguments.prefix(2)) == ["contact-worker", "run"])
            let file = try #require(pod.argument(after: "--config"), "the worker gets its ConfigMap with --config")
            #expect(ignoredVariables(pod.environment) == [])
            let ignored = try ignoredKeys(inFile: file)
            #expect(ignored == [])

            let settings = try await WorkerSettings.load(file: file, environment: pod.environment)
            #expect(settings.kafkaProperties["group.instance.id"] == pod.name)
            #expect(pod.ports["http"] == settings.httpPort)
        }
    }

    @Test(
        "the systemd unit's environment and its environment file, suggestions included: known to the worker, and accepted",
        arguments: [false, true])
    func systemd(suggestions: Bool) async throws {
        let deploy = Self.repository.appendingPathComponent("deploy")
        let service = try SystemdService(
            unit: String(contentsOf: deploy.appendingPathComponent("systemd/contact-worker.service"), encoding: .utf8),
            environmentFile: String(
                contentsOf: deploy.appendingPathComponent("systemd/contact-worker.env"), encoding: .utf8),
            hostName: "worker-1", suggestions: suggestions)
        #expect(ignoredVariables(service.environment) == [])
        #expect(service.arguments.dropFirst().first == "run")

        // The files the unit's install lines put in /etc/contact-worker, under a temporary root:
        // the production example as the config file, and the example JWKS of the Kubernetes Secret.
        let etc = "/etc/contact-worker/"
        try await withDirectory { root in
            let manifests = try KubernetesManifests(directory: deploy.appendingPathComponent("kubernetes"))
            let secret = try manifests.entries(kind: "Secret", name: "contact-worker")
            let directory = root.appendingPathComponent(String(etc.dropFirst()))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(contentsOf: Self.repository.appendingPathComponent("config/production.example.yaml"))
                .write(to: directory.appendingPathComponent("production.yaml"))
            try Data(try #require(secret["jwks.json"]).utf8).write(to: directory.appendingPathComponent("jwks.json"))
            func local(_ value: String) -> String { value.hasPrefix(etc) ? root.path + value : value }

            let file = local(try #require(service.argument(after: "--config")))
            let ignored = try ignoredKeys(inFile: file)
            #expect(ignored == [])
            let settings = try await WorkerSettings.load(file: file, environment: service.environment.mapValues(local))
            #expect(settings.kafkaProperties["group.instance.id"] == "contact-worker-worker-1")
        }
    }
}
