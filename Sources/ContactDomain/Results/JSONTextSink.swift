/// Where JSON text is written, a byte or a run of bytes at a time: a byte array, or the buffer
/// ``JSONObjectWriter`` writes a message into.
///
/// The writing functions (``JSONValue``'s encodings, UUIDs and timestamps) are generic over it
/// and specialised for each conformer, so writing into the writer's buffer costs a capacity check
/// and a store per byte, where an array also checks that its storage is uniquely referenced.
protocol JSONTextSink: ~Copyable {
    /// Appends one byte.
    mutating func appendByte(_ byte: UInt8)
    /// Appends `bytes`, in order.
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Lets `body` write at most `maximumCount` bytes in place at the end; `body` returns how many
    /// it wrote, which become part of the text. The space holds whatever was there before: `body`
    /// must have written every one of the bytes it counts.
    mutating func appendInPlace(maximumCount: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Int)
}

extension JSONTextSink where Self: ~Copyable {
    /// Appends the UTF-8 bytes of a literal.
    mutating func appendLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { appendBytes($0) }
    }
}

extension Array: JSONTextSink where Element == UInt8 {
    mutating func appendByte(_ byte: UInt8) {
        append(byte)
    }

    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: bytes)
    }

    mutating func appendInPlace(maximumCount: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        // An array cannot hand out its spare capacity, so the bytes are written on the stack and
        // appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumCount) { space in
            let written = body(space)
            append(contentsOf: UnsafeBufferPointer(rebasing: space[..<written]))
        }
    }
}
