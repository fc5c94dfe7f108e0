/// Reads what ``ByteChunkWriter`` wrote; every read returns `nil` instead of reading past the end
/// or accepting a length the bytes cannot hold, so a corrupt row is reported, never trapped on.
struct ByteChunkReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { index >= bytes.count }

    mutating func readByte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func readLength() -> Int? {
        guard bytes.count - index >= 4 else { return nil }
        defer { index += 4 }
        return Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
            | Int(bytes[index + 3])
    }

    mutating func readChunk() -> [UInt8]? {
        guard let length = readLength(), length <= bytes.count - index else { return nil }
        defer { index += length }
        return Array(bytes[index..<(index + length)])
    }

    /// `.some(nil)` for an absent chunk, `nil` for bytes that are not an optional chunk.
    mutating func readOptionalChunk() -> [UInt8]?? {
        switch readByte() {
        case 0: return .some(nil)
        case 1: return readChunk().map { .some($0) }
        default: return nil
        }
    }
}
