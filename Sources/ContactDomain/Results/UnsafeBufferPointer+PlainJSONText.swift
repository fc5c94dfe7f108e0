extension UnsafeBufferPointer<UInt8> {
    /// The index of the first byte at or after `position` that is not plain ASCII string content
    /// in JSON (a quote, a backslash, a control character or a non-ASCII byte), or `count`.
    ///
    /// ``JSONParser`` skips such runs with it before looking at a string's special bytes one by
    /// one: most of a command's bytes are in them. Eight bytes are tested at a time, as one word
    /// (the tests below are exact for "some byte of the word", not for which one), and only the
    /// word that holds a special byte is looked at byte by byte.
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

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte of `word` is a quote, a backslash, below 0x20 or at or above 0x80.
    private static func holdsSpecialByte(_ word: UInt64) -> Bool {
        // `(w - 0x01…) & ~w & 0x80…` is non-zero exactly when some byte of `w` is zero (a borrow
        // only ever starts at a zero byte); `w - 0x20…` likewise finds a byte below 0x20.
        func hasZeroByte(_ w: UInt64) -> Bool { (w &- ones) & ~w & highBits != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highBits != 0
        return word & highBits != 0 || below0x20
            || hasZeroByte(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
            || hasZeroByte(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
    }
}
