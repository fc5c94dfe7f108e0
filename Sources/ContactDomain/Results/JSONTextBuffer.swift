/// The bytes of one JSON text while it is written: first in space on the caller's stack, then, if
/// the text outgrows it, on the heap, doubling each time.
///
/// Written by hand rather than into an array because the worker writes several messages per
/// command member by member: an array checks that its storage is uniquely referenced on every
/// append, and cannot be written in place (a UUID or a timestamp is spelled into scratch space
/// and copied). Here an append is a capacity check and a copy, and a message that fits the stack
/// space costs no allocation until its bytes are taken.
///
/// Not copyable: it may own heap memory, freed when it ends, and it may point into stack space
/// that lives only as long as the call that lent it. ``withBuffer(_:)`` is the only way to get
/// one, and its bytes leave only during a call (``withBytes(_:)``).
struct JSONTextBuffer: ~Copyable {
    /// The stack space a text starts in: a result or an event with a body of a few hundred bytes
    /// fits. Larger requests would ask the runtime whether the thread's stack has room.
    static let stackCapacity = 1024

    private var start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    /// Whether `start` is heap memory of this buffer's own, to free when it grows or ends.
    private var ownsStorage: Bool
    /// The stack space this buffer was lent, whether or not it still writes there: what
    /// ``withBuffer(_:)`` checks to know the buffer it gets back is the one it lent.
    private let lentSpace: UnsafeMutablePointer<UInt8>?

    private init(lending space: UnsafeMutableBufferPointer<UInt8>) {
        lentSpace = space.baseAddress
        if let base = space.baseAddress, !space.isEmpty {
            (start, capacity, ownsStorage) = (base, space.count, false)
        } else {
            (start, capacity, ownsStorage) = (.allocate(capacity: Self.stackCapacity), Self.stackCapacity, true)
        }
    }

    deinit {
        if ownsStorage { start.deallocate() }
    }

    /// Runs `body` with an empty buffer that starts in stack space.
    ///
    /// The buffer must end in this call: `body` may not trade it for another one (a buffer of a
    /// nested call would then outlive the stack space it was lent). That is checked.
    static func withBuffer<Result>(_ body: (inout JSONTextBuffer) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stackCapacity) { space in
            var buffer = JSONTextBuffer(lending: space)
            let result = body(&buffer)
            precondition(buffer.lentSpace == space.baseAddress, "a JSON text buffer left the call that lent it space")
            return result
        }
    }

    /// Calls `body` with the text written so far; the pointer is valid only during the call.
    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        body(UnsafeBufferPointer(start: start, count: count))
    }

    /// Makes room for `additional` more bytes.
    @inline(__always)
    private mutating func reserve(_ additional: Int) {
        if capacity - count < additional { grow(toAtLeast: count + additional) }
    }

    @inline(never)
    private mutating func grow(toAtLeast minimum: Int) {
        let newCapacity = max(minimum, capacity * 2)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        storage.initialize(from: start, count: count)
        if ownsStorage { start.deallocate() }
        (start, capacity, ownsStorage) = (storage, newCapacity, true)
    }
}

extension JSONTextBuffer: JSONTextSink {
    @inline(__always)
    mutating func appendByte(_ byte: UInt8) {
        reserve(1)
        (start + count).initialize(to: byte)
        count += 1
    }

    @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (start + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func appendInPlace(maximumCount: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        reserve(maximumCount)
        let written = body(UnsafeMutableBufferPointer(start: start + count, count: maximumCount))
        precondition((0...maximumCount).contains(written), "wrote \(written) bytes into room for \(maximumCount)")
        count += written
    }
}
