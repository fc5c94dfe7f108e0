import ContactDomain
import Foundation
import PostgresNIO

/// A value that ``PostgresArrayColumn`` writes as one element of a binary PostgreSQL array.
///
/// Each element on the wire is its length (Int32, big-endian) followed by the value in the
/// element type's binary format; the bytes are those PostgresNIO writes for the same value, so
/// the server stores exactly what it would from `[Element]`.
///
/// A length is written as `Int32(count)`, which traps past 2 GiB as PostgresNIO's own encoding
/// does; the values are parts of Kafka messages and of the worker's results, far below that and
/// below PostgreSQL's own limit of 1 GB per value.
protocol PostgresArrayElement {
    /// The element type, named in the array header.
    static var postgresElementType: PostgresDataType { get }
    /// The array type: the parameter's type.
    static var postgresArrayType: PostgresDataType { get }
    /// The bytes a typical element takes with its length prefix, to reserve a column's buffer
    /// (exact for fixed-size types; a column grows past it as needed).
    static var typicalWireSize: Int { get }
    /// Writes the element's length, then its binary value.
    func writeArrayElement(into buffer: inout ByteBuffer)
}

extension String: PostgresArrayElement {
    static var postgresElementType: PostgresDataType { .text }
    static var postgresArrayType: PostgresDataType { .textArray }
    static var typicalWireSize: Int { 4 + 24 }

    func writeArrayElement(into buffer: inout ByteBuffer) {
        // `text` in binary format is the UTF-8 bytes, unterminated, read where the string stores them.
        withUTF8Bytes { buffer.writeArrayElement(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension UUID: PostgresArrayElement {
    static var postgresElementType: PostgresDataType { .uuid }
    static var postgresArrayType: PostgresDataType { .uuidArray }
    static var typicalWireSize: Int { 4 + 16 }

    func writeArrayElement(into buffer: inout ByteBuffer) {
        // `uuid` in binary format is its 16 bytes in order.
        withUnsafeBytes(of: uuid) { buffer.writeArrayElement(bytes: $0) }
    }
}

extension Int32: PostgresArrayElement {
    static var postgresElementType: PostgresDataType { .int4 }
    static var postgresArrayType: PostgresDataType { .int4Array }
    static var typicalWireSize: Int { 4 + 4 }

    func writeArrayElement(into buffer: inout ByteBuffer) {
        withUnsafeBytes(of: bigEndian) { buffer.writeArrayElement(bytes: $0) }
    }
}

extension Int64: PostgresArrayElement {
    static var postgresElementType: PostgresDataType { .int8 }
    static var postgresArrayType: PostgresDataType { .int8Array }
    static var typicalWireSize: Int { 4 + 8 }

    func writeArrayElement(into buffer: inout ByteBuffer) {
        withUnsafeBytes(of: bigEndian) { buffer.writeArrayElement(bytes: $0) }
    }
}

extension Timestamp: PostgresArrayElement {
    static var postgresElementType: PostgresDataType { .timestamptz }
    static var postgresArrayType: PostgresDataType { .timestamptzArray }
    static var typicalWireSize: Int { 4 + 8 }

    func writeArrayElement(into buffer: inout ByteBuffer) {
        withUnsafeBytes(of: PostgresTimestamp.postgresMicroseconds(self).bigEndian) {
            buffer.writeArrayElement(bytes: $0)
        }
    }
}

extension ByteBuffer {
    /// Writes one array element: its length (Int32, big-endian), then `bytes`, in a single write.
    ///
    /// A batch writes tens of elements per command, and each of `ByteBuffer`'s writes checks its
    /// capacity and takes exclusive access to the buffer's storage on its own; one write per
    /// element does that once.
    mutating func writeArrayElement(bytes: UnsafeRawBufferPointer) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 4 + bytes.count) { target in
            target.storeBytes(of: Int32(bytes.count).bigEndian, as: Int32.self)
            UnsafeMutableRawBufferPointer(rebasing: target[4...]).copyMemory(from: bytes)
            return 4 + bytes.count
        }
    }
}
