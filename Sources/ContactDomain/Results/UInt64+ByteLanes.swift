/// Tests on the eight bytes of a word at once, for scans that read text eight bytes at a time
/// (``JSONParser``'s plain runs, ``FieldLimits``'s lengths). Each is exact for "some byte of the
/// word", not for which one: a scan that needs the position looks at that word byte by byte.
extension UInt64 {
    /// 0x01 in every byte.
    static let byteLaneOnes: UInt64 = 0x0101_0101_0101_0101
    /// 0x80 in every byte: each byte's top bit.
    static let byteLaneHighBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte is below `limit` (at most 0x80). `(w - limit·0x01…) & ~w & 0x80…` is
    /// non-zero exactly then: a borrow only ever starts at such a byte.
    func hasByte(below limit: UInt8) -> Bool {
        (self &- Self.byteLaneOnes &* UInt64(limit)) & ~self & Self.byteLaneHighBits != 0
    }

    /// Whether some byte equals `byte`: a byte equal to it is zero after the exclusive or.
    func hasByte(equalTo byte: UInt8) -> Bool {
        (self ^ Self.byteLaneOnes &* UInt64(byte)).hasByte(below: 1)
    }
}
