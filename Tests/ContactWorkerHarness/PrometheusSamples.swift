import Foundation

/// The samples of a Prometheus text exposition, by series (`name{a="1",b="2"}`, labels sorted),
/// and the metric families its `# TYPE` lines declare.
public struct PrometheusSamples: Sendable {
    public let values: [String: Double]
    /// The type of each family with a `# TYPE` line (`counter`, `gauge`, `histogram`, …), by name.
    public let types: [String: String]

    public init(_ text: String) {
        var values: [String: Double] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let fields = line.split(separator: " ")
            if fields.count == 4 { types[String(fields[2])] = String(fields[3]) }
        }
        self.types = types
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            values[Self.normalise(String(line[..<space]))] = value
        }
        self.values = values
    }

    /// The value of `name` with `labels`, or nil when the series is absent.
    public subscript(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        values[Self.key(name, labels)]
    }

    /// Whether the exposition has the metric `name`: a family declared by a `# TYPE` line, a
    /// histogram's or summary's `_bucket`, `_sum` or `_count` series, or any sample of that name.
    public func exports(_ name: String) -> Bool {
        if types[name] != nil || !series(name).isEmpty { return true }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let family = String(name.dropLast(suffix.count))
            switch types[family] {
            case "histogram": return true
            case "summary": return suffix != "_bucket"
            default: continue
            }
        }
        return false
    }

    /// The series of `name`, by their labels.
    public func series(_ name: String) -> [String: Double] {
        values.filter { $0.key == name || $0.key.hasPrefix(name + "{") }
    }

    public static func key(_ name: String, _ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return name }
        return name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
            + "}"
    }

    private static func normalise(_ series: String) -> String {
        guard let open = series.firstIndex(of: "{"), series.hasSuffix("}") else { return series }
        let name = String(series[..<open])
        let inner = series[series.index(after: open)..<series.index(before: series.endIndex)]
        var labels: [String: String] = [:]
        for pair in inner.split(separator: ",") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            labels[String(pair[..<equals])] = String(pair[pair.index(after: equals)...]).trimmingCharacters(
                in: CharacterSet(charactersIn: "\""))
        }
        return key(name, labels)
    }
}
