import Foundation

extension String {
    /// Whether `other` has exactly this string's UTF-8 bytes.
    ///
    /// Unlike `==`, which holds canonically equivalent spellings equal (`"K"` and U+212A KELVIN
    /// SIGN), this compares bytes, with `memcmp` over the strings' contiguous storage: the
    /// generic `elementsEqual` steps through the bytes one at a time.
    public func hasSameUTF8(as other: String) -> Bool {
        var (a, b) = (self, other)
        return a.withUTF8 { a in
            b.withUTF8 { b in
                guard a.count == b.count else { return false }
                guard let first = a.baseAddress, let second = b.baseAddress else { return true }
                return memcmp(first, second, a.count) == 0
            }
        }
    }
}
