import Foundation

/// Collects the members of one JSON object into a ``JSONValue``, in the order they are given: the
/// value counterpart of ``JSONObjectWriter``.
struct JSONObjectBuilder: JSONObjectSink {
    private var members: [JSONValue.Member] = []

    /// The object built so far.
    var value: JSONValue { .object(members) }

    mutating func string(_ key: String, _ value: String) {
        members.append(.init(key, .string(value)))
    }

    mutating func string(_ key: String, orNull value: String?) {
        members.append(.init(key, .string(orNull: value)))
    }

    mutating func uuid(_ key: String, _ value: UUID) {
        members.append(.init(key, .string(value.lowercasedString)))
    }

    mutating func timestamp(_ key: String, _ value: Timestamp) {
        members.append(.init(key, .string(value.rfc3339)))
    }

    mutating func timestamp(_ key: String, orNull value: Timestamp?) {
        members.append(.init(key, .string(orNull: value?.rfc3339)))
    }
}
