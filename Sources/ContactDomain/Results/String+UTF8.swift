import Foundation

extension String {
    /// Calls `body` with the string's UTF-8 bytes, read where they are stored.
    ///
    /// `String.withUTF8` is mutating, so calling it on a value means copying the string first,
    /// which retains its storage (an atomic operation, and a contended one when other threads
    /// hold the same string) and releases it after. Reading through `utf8` needs no copy; only a
    /// string not stored as contiguous UTF-8 (a bridged one) is copied into a native one first.
    @inlinable
    public func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var native = self
        return try native.withUTF8(body)
    }

    /// Whether `other` has exactly this string's UTF-8 bytes.
    ///
    /// Unlike `==`, which holds canonically equivalent spellings equal (`"K"` and U+212A KELVIN
    /// SIGN), this compares bytes, with `memcmp` over the strings' contiguous storage: the
    /// generic `elementsEqual` steps through the bytes one at a time.
    public func hasSameUTF8(as other: String) -> Bool {
        withUTF8Bytes { a in
            other.withUTF8Bytes { b in
                guard a.count == b.count else { return false }
                guard let first = a.baseAddress, let second = b.baseAddress else { return true }
                return memcmp(first, second, a.count) == 0
            }
        }
    }
}
