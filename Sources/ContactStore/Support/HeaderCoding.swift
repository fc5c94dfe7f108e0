/// Packs Kafka headers into one byte string for the outbox's `headers` column, and back.
///
/// Format: for each header, name length (UInt32 big-endian), name UTF-8, value length, value.
/// A fixed binary layout rather than JSON because header values are arbitrary bytes.
enum HeaderCoding {
    static func encode(_ headers: [(name: String, value: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headers.reduce(0) { $0 + 8 + $1.name.utf8.count + $1.value.count })
        func appendLength(_ count: Int) {
            let value = UInt32(truncatingIfNeeded: count)
            out.append(UInt8(truncatingIfNeeded: value >> 24))
            out.append(UInt8(truncatingIfNeeded: value >> 16))
            out.append(UInt8(truncatingIfNeeded: value >> 8))
            out.append(UInt8(truncatingIfNeeded: value))
        }
        for header in headers {
            appendLength(header.name.utf8.count)
            out.append(contentsOf: header.name.utf8)
            appendLength(header.value.count)
            out.append(contentsOf: header.value)
        }
        return out
    }

    /// Returns `nil` when the bytes are not in this format (a corrupt row).
    static func decode(_ bytes: some Collection<UInt8>) -> [(name: String, value: [UInt8])]? {
        let bytes = Array(bytes)
        var headers: [(name: String, value: [UInt8])] = []
        var index = 0
        func readChunk() -> [UInt8]? {
            guard index + 4 <= bytes.count else { return nil }
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                | Int(bytes[index + 3])
            index += 4
            guard length <= bytes.count - index else { return nil }
            defer { index += length }
            return Array(bytes[index..<(index + length)])
        }
        while index < bytes.count {
            guard let name = readChunk(), let value = readChunk() else { return nil }
            headers.append((String(decoding: name, as: UTF8.self), value))
        }
        return headers
    }
}
