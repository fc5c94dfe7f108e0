/// Appends length-prefixed chunks (UInt32 big-endian length, then the bytes) to a byte string:
/// the layout of the outbox's packed batches and of packed headers.
struct ByteChunkWriter {
    var bytes: [UInt8] = []

    /// Appends `count` as 4 bytes, big-endian.
    mutating func appendLength(_ count: Int) {
        let value = UInt32(truncatingIfNeeded: count)
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends the length of `chunk`, then `chunk`.
    mutating func appendChunk(_ chunk: some Collection<UInt8>) {
        appendLength(chunk.count)
        bytes.append(contentsOf: chunk)
    }

    /// Appends a presence byte (0 absent, 1 present), then the chunk when present.
    mutating func appendOptionalChunk(_ chunk: (some Collection<UInt8>)?) {
        if let chunk {
            bytes.append(1)
            appendChunk(chunk)
        } else {
            bytes.append(0)
        }
    }
}
