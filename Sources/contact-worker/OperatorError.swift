/// A failure of an operator command that is about the data, not the command line: printed as
/// `Error: …` without the usage text ArgumentParser adds to a `ValidationError`, exit code 1.
struct OperatorError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
