/// Why bytes could not be parsed as JSON, with the byte offset where parsing stopped.
///
/// The worker puts ``description`` into the dead-letter `x-error-reason` header, so it is written
/// for the operator who inspects the message.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The input ended in the middle of a value (or was empty).
        case unexpectedEnd
        /// A byte that cannot start or continue a value at this point.
        case unexpectedByte(UInt8)
        /// Bytes after the end of the top-level value.
        case trailingData
        /// Nesting deeper than the allowed maximum.
        case tooDeep(maximum: Int)
        /// A string that is not valid UTF-8, contains a raw control character or a lone surrogate.
        case invalidString
        /// A bad escape sequence inside a string.
        case invalidEscape
        /// A malformed number literal.
        case invalidNumber
    }

    /// What went wrong.
    public var kind: Kind
    /// Offset in bytes from the start of the input.
    public var offset: Int

    /// Creates an error.
    public init(kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// A one-line explanation such as `unexpected byte 0x7d at offset 12`.
    public var description: String {
        switch kind {
        case .unexpectedEnd:
            return "unexpected end of input at offset \(offset)"
        case .unexpectedByte(let byte):
            let hex = String(byte, radix: 16, uppercase: false)
            return "unexpected byte 0x\(hex.count == 1 ? "0" + hex : hex) at offset \(offset)"
        case .trailingData:
            return "unexpected data after the JSON value at offset \(offset)"
        case .tooDeep(let maximum):
            return "nesting deeper than \(maximum) levels at offset \(offset)"
        case .invalidString:
            return "invalid string (bad UTF-8, raw control character or lone surrogate) at offset \(offset)"
        case .invalidEscape:
            return "invalid escape sequence at offset \(offset)"
        case .invalidNumber:
            return "invalid number at offset \(offset)"
        }
    }
}
