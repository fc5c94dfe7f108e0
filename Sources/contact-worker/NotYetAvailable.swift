import ArgumentParser

/// The error a subcommand reports while the issue that delivers it is still open.
///
/// Subcommands exist early so that `--help` documents the whole tool; running one that is not
/// built yet fails with this message and exit code 2 rather than pretending to work.
struct NotYetAvailable: Error, CustomStringConvertible {
    var command: String
    var issue: Int

    var description: String {
        "contact-worker \(command) is not available in this build yet (tracked in issue #\(issue))."
    }
}
