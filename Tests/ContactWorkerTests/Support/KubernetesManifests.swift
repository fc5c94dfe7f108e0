import Foundation
import Yams

/// The resources of a kustomization directory (`deploy/kubernetes`): every document of every file
/// its `resources` list names, parsed with Yams.
struct KubernetesManifests {
    var resources: [Node]

    init(directory: URL) throws {
        let kustomization = try Yams.compose(
            yaml: String(contentsOf: directory.appendingPathComponent("kustomization.yaml"), encoding: .utf8))
        let files = kustomization?["resources"]?.array().compactMap(\.string) ?? []
        guard !files.isEmpty else { throw DeploymentFileError("kustomization.yaml lists no resources") }
        resources = []
        for file in files {
            var documents = try Yams.compose_all(
                yaml: String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8))
            while let document = documents.next() { resources.append(document) }
            if let error = documents.error { throw error }
        }
    }

    /// The one resource of `kind` named `name`.
    func resource(kind: String, name: String) throws -> Node {
        let found = resources.filter { $0["kind"]?.string == kind && $0["metadata"]?["name"]?.string == name }
        guard found.count == 1 else { throw DeploymentFileError("\(found.count) \(kind) resources named \(name)") }
        return found[0]
    }

    /// The one resource of `kind`.
    func only(kind: String) throws -> Node {
        let found = resources.filter { $0["kind"]?.string == kind }
        guard found.count == 1 else { throw DeploymentFileError("\(found.count) \(kind) resources, expected one") }
        return found[0]
    }

    /// The entries of a ConfigMap or a Secret as text: a Secret's `data` decoded from base64,
    /// its `stringData` as written.
    func entries(kind: String, name: String) throws -> [String: String] {
        let resource = try resource(kind: kind, name: name)
        var entries: [String: String] = [:]
        for (key, value) in resource["data"]?.mapping ?? [:] {
            guard let key = key.string, let text = value.string else { continue }
            if kind == "Secret" {
                guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else {
                    throw DeploymentFileError("Secret \(name): \(key) is not base64 of UTF-8 text")
                }
                entries[key] = decoded
            } else {
                entries[key] = text
            }
        }
        for (key, value) in resource["stringData"]?.mapping ?? [:] {
            guard let key = key.string else { continue }
            entries[key] = value.string
        }
        return entries
    }
}
