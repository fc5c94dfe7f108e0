import Foundation
import Yams

/// The first pod of a StatefulSet as the kubelet would start its first container: the command
/// line, the environment (`fieldRef` and `secretKeyRef` values resolved the way Kubernetes would),
/// and the ConfigMap, Secret and emptyDir volumes written under a temporary root. Paths in the
/// command line and the environment that fall inside a mount point to the files under that root.
struct KubernetesPod {
    var name: String
    var arguments: [String]
    var environment: [String: String]
    /// Container ports by name.
    var ports: [String: Int]

    init(statefulSet: Node, in manifests: KubernetesManifests, root: URL) throws {
        name = "\(statefulSet["metadata"]?["name"]?.string ?? "unnamed")-0"
        guard let spec = statefulSet["spec"]?["template"]?["spec"], let container = spec["containers"]?.array().first
        else { throw DeploymentFileError("the StatefulSet has no container") }

        var volumes: [String: Node] = [:]
        for volume in spec["volumes"]?.array() ?? [] {
            if let name = volume["name"]?.string { volumes[name] = volume }
        }
        var mountPaths: [String] = []
        for mount in container["volumeMounts"]?.array() ?? [] {
            guard let path = mount["mountPath"]?.string, let volumeName = mount["name"]?.string,
                let volume = volumes[volumeName]
            else { throw DeploymentFileError("volumeMount \(mount) has no volume") }
            guard mount["subPath"] == nil else {
                throw DeploymentFileError(
                    "\(path) is mounted with subPath: Secret and ConfigMap updates never reach it")
            }
            let directory = root.appendingPathComponent(String(path.drop(while: { $0 == "/" })))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var files: [String: String] = [:]
            if let configMap = volume["configMap"] {
                files = try Self.projected(
                    manifests.entries(kind: "ConfigMap", name: configMap["name"]?.string ?? ""),
                    items: configMap["items"])
            } else if let secret = volume["secret"] {
                files = try Self.projected(
                    manifests.entries(kind: "Secret", name: secret["secretName"]?.string ?? ""), items: secret["items"])
            } else if volume["emptyDir"] == nil {
                throw DeploymentFileError("volume \(volumeName): only configMap, secret and emptyDir are rendered")
            }
            for (file, content) in files {
                try Data(content.utf8).write(to: directory.appendingPathComponent(file))
            }
            mountPaths.append(path)
        }
        func local(_ value: String) -> String {
            mountPaths.contains { value == $0 || value.hasPrefix($0 + "/") } ? root.path + value : value
        }

        arguments = ((container["command"]?.array() ?? []) + (container["args"]?.array() ?? [])).compactMap(\.string)
            .map(local)
        environment = [:]
        for entry in container["env"]?.array() ?? [] {
            guard let variable = entry["name"]?.string else { throw DeploymentFileError("env entry without a name") }
            if let value = entry["value"]?.string {
                environment[variable] = local(value)
            } else if let field = entry["valueFrom"]?["fieldRef"]?["fieldPath"]?.string {
                switch field {
                case "metadata.name": environment[variable] = name
                case "metadata.namespace": environment[variable] = "default"
                default: throw DeploymentFileError("\(variable): fieldRef \(field) is not rendered")
                }
            } else if let reference = entry["valueFrom"]?["secretKeyRef"] ?? entry["valueFrom"]?["configMapKeyRef"] {
                let kind = entry["valueFrom"]?["secretKeyRef"] != nil ? "Secret" : "ConfigMap"
                let (resource, key) = (reference["name"]?.string ?? "", reference["key"]?.string ?? "")
                guard let value = try manifests.entries(kind: kind, name: resource)[key] else {
                    throw DeploymentFileError("\(variable): \(kind) \(resource) has no key \(key)")
                }
                environment[variable] = value
            } else {
                throw DeploymentFileError(
                    "\(variable): only value, fieldRef, secretKeyRef and configMapKeyRef are rendered")
            }
        }
        ports = [:]
        for port in container["ports"]?.array() ?? [] {
            if let name = port["name"]?.string, let number = port["containerPort"]?.int { ports[name] = number }
        }
    }

    /// The argument after `flag` on the command line.
    func argument(after flag: String) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// The files a ConfigMap or Secret volume shows: every entry, or only its `items` under their paths.
    private static func projected(_ entries: [String: String], items: Node?) throws -> [String: String] {
        guard let items = items?.array(), !items.isEmpty else { return entries }
        var files: [String: String] = [:]
        for item in items {
            guard let key = item["key"]?.string, let path = item["path"]?.string, let content = entries[key] else {
                throw DeploymentFileError("volume item \(item) names no existing key")
            }
            files[path] = content
        }
        return files
    }
}
