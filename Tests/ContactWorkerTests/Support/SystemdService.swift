import Foundation

/// A systemd service as systemd would start it, for the parts the worker sees: the `ExecStart`
/// command line and the environment of its `Environment=` lines and of an environment file
/// (`EnvironmentFile=`), whose assignments override the unit's.
///
/// Only what `deploy/systemd` uses is rendered: unquoted `KEY=VALUE` assignments and the `%H`
/// (host name) and `%%` specifiers; anything else is an error rather than a silent difference.
struct SystemdService {
    var arguments: [String]
    var environment: [String: String]

    /// - Parameter suggestions: also apply the environment file's commented-out assignments
    ///   (`#KEY=value`), the settings it suggests uncommenting.
    init(unit: String, environmentFile: String, hostName: String, suggestions: Bool) throws {
        arguments = []
        environment = [:]
        for line in unit.split(separator: "\n").map(String.init) {
            if line.hasPrefix("ExecStart=") {
                arguments = try Self.expand(String(line.dropFirst("ExecStart=".count)), hostName: hostName)
                    .split(separator: " ").map(String.init)
            } else if line.hasPrefix("Environment=") {
                let assignments = try Self.expand(String(line.dropFirst("Environment=".count)), hostName: hostName)
                for assignment in assignments.split(separator: " ") {
                    try Self.assign(String(assignment), to: &environment)
                }
            }
        }
        for line in environmentFile.split(separator: "\n").map(String.init) {
            if line.hasPrefix("#") {
                let commented = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if suggestions, commented.range(of: "^[A-Z][A-Z0-9_]*=", options: .regularExpression) != nil {
                    try Self.assign(commented, to: &environment)
                }
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                try Self.assign(line, to: &environment)
            }
        }
    }

    /// The argument after `flag` on the command line.
    func argument(after flag: String) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    private static func assign(_ assignment: String, to environment: inout [String: String]) throws {
        guard let equals = assignment.firstIndex(of: "="), !assignment.contains("\""), !assignment.contains("'")
        else { throw DeploymentFileError("\(assignment): not an unquoted KEY=VALUE assignment") }
        environment[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
    }

    private static func expand(_ text: String, hostName: String) throws -> String {
        var result = ""
        var characters = text.makeIterator()
        while let character = characters.next() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            switch characters.next() {
            case "H": result += hostName
            case "%": result += "%"
            case let other:
                throw DeploymentFileError("\(text): specifier %\(other.map(String.init) ?? "") is not rendered")
            }
        }
        return result
    }
}
