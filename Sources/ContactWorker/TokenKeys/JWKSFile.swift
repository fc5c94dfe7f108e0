import ContactDomain
import Foundation

/// The JWKS file named by `JWT_JWKS_FILE`, and its re-reading.
///
/// A change is recognised by the file's bytes, read through the path as given, so symlinks are
/// followed at every read: a Kubernetes Secret volume replaces its files by pointing the `..data`
/// symlink at a new directory, which leaves the old file (and its inode and mtime) untouched.
public struct JWKSFile: Sendable, Hashable {
    /// What a read found: the bytes, or why there were none.
    public enum Observation: Sendable, Hashable {
        /// The file's content.
        case bytes([UInt8])
        /// Why it could not be read (for the log).
        case unreadable(String)
    }

    /// A JWKS is a few kilobytes; anything far larger is not one.
    public static let maximumBytes = 1 << 20

    /// The path as configured.
    public let path: String

    /// The file at `path`.
    public init(path: String) {
        self.path = path
    }

    /// The file's current bytes, or why they cannot be read.
    public func observe() -> Observation {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count <= Self.maximumBytes else {
                return .unreadable("\(path) holds \(data.count) bytes, more than a JWKS (\(Self.maximumBytes))")
            }
            return .bytes(Array(data))
        } catch {
            return .unreadable("cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }

    /// The file's bytes, or ``TokenConfigurationError/invalidJWKS(reason:)`` naming the problem.
    public func read() throws(TokenConfigurationError) -> [UInt8] {
        switch observe() {
        case .bytes(let bytes): return bytes
        case .unreadable(let reason): throw .invalidJWKS(reason: reason)
        }
    }
}
