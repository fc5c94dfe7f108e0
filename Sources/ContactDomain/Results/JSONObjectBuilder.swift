import Foundation

/// Collects the members of one JSON object into a ``JSONValue``, in the order they are given: the
/// value counterpart of ``JSONObjectWriter``.
struct JSONObjectBuilder: JSONObjectSink {
    private var members: [JSONValue.Member] = []

    /// The object built so far.
    var value: JSONValue { .object(members) }

    mutating func string(_ key: StaticString, _ value: String) {
        members.append(.init(key.description, .string(value)))
    }

    mutating func string(_ key: StaticString, orNull value: String?) {
        members.append(.init(key.description, .string(orNull: value)))
    }

    mutating func uuid(_ key: StaticString, _ value: UUID) {
        members.append(.init(key.description, .string(value.lowercasedString)))
    }

    mutating func timestamp(_ key: StaticString, _ value: Timestamp) {
        members.append(.init(key.description, .string(value.rfc3339)))
    }

    mutating func timestamp(_ key: StaticString, orNull value: Timestamp?) {
        members.append(.init(key.description, .string(orNull: value?.rfc3339)))
    }
}
