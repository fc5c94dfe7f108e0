/// A deployment file (a Kubernetes manifest, a systemd unit) the tests cannot render, with what
/// is wrong or unsupported in it.
struct DeploymentFileError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
