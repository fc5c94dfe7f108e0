import Foundation

/// Receives the members of one JSON object, in order: ``JSONObjectWriter`` writes them as compact
/// bytes, ``JSONObjectBuilder`` collects them into a ``JSONValue``.
///
/// A body whose members are listed once against this protocol (``ResultBodies``) has the same
/// content in both forms: the bytes are what the worker publishes and stores, the value is what the
/// read side embeds in its pages. Member names are literals of the contract (plain ASCII names
/// that need no escaping).
protocol JSONObjectSink: ~Copyable {
    /// A string member.
    mutating func string(_ key: StaticString, _ value: String)
    /// A string member, `null` when `value` is absent.
    mutating func string(_ key: StaticString, orNull value: String?)
    /// A UUID member, as its ``Foundation/UUID/lowercasedString``.
    mutating func uuid(_ key: StaticString, _ value: UUID)
    /// A timestamp member, as its ``Timestamp/rfc3339``.
    mutating func timestamp(_ key: StaticString, _ value: Timestamp)
    /// A timestamp member, `null` when `value` is absent.
    mutating func timestamp(_ key: StaticString, orNull value: Timestamp?)
}
