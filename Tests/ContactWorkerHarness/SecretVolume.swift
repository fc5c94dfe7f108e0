import ContactWorkerTestSupport
import Foundation

/// A directory laid out the way Kubernetes mounts a Secret or ConfigMap volume: the file is a
/// symlink `name -> ..data/name`, `..data` a symlink to a timestamped directory holding the
/// bytes. ``update(_:)`` swaps it as the kubelet does: a new directory, a `..data_tmp` symlink to
/// it renamed over `..data` (atomic), then the old directory removed.
public final class SecretVolume: Sendable {
    /// The volume's directory (a fresh temporary one).
    public let directory: URL
    /// The file name inside it.
    public let name: String
    private let version = Locked(0)

    /// Creates the volume with `contents` in `name`.
    public init(name: String, contents: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "secret-volume-\(UUID().uuidString)")
        self.name = name
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try update(contents)
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent(name).path, withDestinationPath: "..data/\(name)")
    }

    /// The path a worker is configured with (`JWT_JWKS_FILE`).
    public var path: String { directory.appendingPathComponent(name).path }

    /// Publishes `contents` by the symlink swap.
    public func update(_ contents: String) throws {
        let (previous, next) = version.withLock { version -> (Int, Int) in
            version += 1
            return (version - 1, version)
        }
        let fresh = directory.appendingPathComponent("..v\(next)")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: fresh.appendingPathComponent(name))
        let temporary = directory.appendingPathComponent("..data_tmp").path
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: "..v\(next)")
        guard rename(temporary, directory.appendingPathComponent("..data").path) == 0 else {
            throw HarnessError(description: "cannot swap ..data in \(directory.path): errno \(errno)")
        }
        if previous > 0 { try FileManager.default.removeItem(at: directory.appendingPathComponent("..v\(previous)")) }
    }

    /// Removes the directory.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
