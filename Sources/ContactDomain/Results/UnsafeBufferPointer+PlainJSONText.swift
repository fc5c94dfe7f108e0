extension UnsafeBufferPointer<UInt8> {
    /// The index of the first byte at or after `position` that is not plain ASCII string content
    /// in JSON (a quote, a backslash, a control character or a non-ASCII byte), or `count`.
    ///
    /// ``JSONParser`` skips such runs with it before looking at a string's special bytes one by
    /// one: most of a command's bytes are in them. Eight bytes are tested at a time, as one word,
    /// and only the word that holds a special byte is looked at byte by byte.
    func endOfPlainJSONText(from position: Int) -> Int {
        var offset = position
        if let base = baseAddress {
            let raw = UnsafeRawPointer(base)
            while offset + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                if Self.holdsSpecialByte(word) { break }
                offset += 8
            }
        }
        while offset < count {
            let byte = self[offset]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            offset += 1
        }
        return offset
    }

    /// Whether some byte of `word` is a quote, a backslash, below 0x20 or at or above 0x80.
    private static func holdsSpecialByte(_ word: UInt64) -> Bool {
        word & .byteLaneHighBits != 0 || word.hasByte(below: 0x20)
            || word.hasByte(equalTo: UInt8(ascii: "\"")) || word.hasByte(equalTo: UInt8(ascii: "\\"))
    }
}
