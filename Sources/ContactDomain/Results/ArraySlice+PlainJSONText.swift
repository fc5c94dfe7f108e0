extension ArraySlice<UInt8> {
    /// The index of the first byte at or after `position` that is not plain ASCII string content
    /// in JSON (a quote, a backslash, a control character or a non-ASCII byte), or `endIndex`.
    ///
    /// ``JSONParser`` skips such runs with it before looking at a string's special bytes one by
    /// one: most of a command's bytes are in them, and a buffer pointer reads them without the
    /// bounds check the slice's subscript makes at every byte.
    func endOfPlainJSONText(from position: Int) -> Int {
        withUnsafeBufferPointer { buffer in
            var offset = position - startIndex
            while offset < buffer.count {
                let byte = buffer[offset]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
                offset += 1
            }
            return startIndex + offset
        }
    }
}
