/// Packs Kafka headers into one byte string for the legacy outbox's `headers` column, and back
/// (read only when migration 4 moves old outbox rows into packed batches).
///
/// Format: for each header, name length (UInt32 big-endian), name UTF-8, value length, value.
/// A fixed binary layout rather than JSON because header values are arbitrary bytes.
enum HeaderCoding {
    static func encode(_ headers: [(name: String, value: [UInt8])]) -> [UInt8] {
        var writer = ByteChunkWriter()
        for header in headers {
            writer.appendChunk(header.name.utf8)
            writer.appendChunk(header.value)
        }
        return writer.bytes
    }

    /// Returns `nil` when the bytes are not in this format (a corrupt row).
    static func decode(_ bytes: some Collection<UInt8>) -> [(name: String, value: [UInt8])]? {
        var reader = ByteChunkReader(bytes)
        var headers: [(name: String, value: [UInt8])] = []
        while !reader.isAtEnd {
            guard let name = reader.readChunk(), let value = reader.readChunk() else { return nil }
            headers.append((String(decoding: name, as: UTF8.self), value))
        }
        return headers
    }
}
