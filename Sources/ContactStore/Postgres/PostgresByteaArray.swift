import PostgresNIO

/// A one-dimensional `bytea[]` parameter of byte strings the caller already holds, written
/// straight into the query's parameters when the query is built.
///
/// A batch's largest values are byte strings that exist already: event bodies, result bodies and
/// packed outbox rows, about a megabyte per thousand commands. Holding them by reference and
/// writing them once into the parameters avoids a copy into a buffer of their own, and that
/// buffer's allocation: at this size the allocator tends to map fresh pages for it on every
/// batch, and each page faults when first written. The wire format is ``PostgresArrayColumn``'s, without NULL elements (the `bytea` columns bound
/// this way are `NOT NULL`).
struct PostgresByteaArray: PostgresNonThrowingEncodable, Sendable {
    /// The elements, in order.
    private(set) var elements: [[UInt8]] = []

    /// An empty array with room for `rows` elements.
    init(reservingRows rows: Int) {
        elements.reserveCapacity(rows)
    }

    /// Appends a byte string.
    mutating func append(_ bytes: [UInt8]) {
        elements.append(bytes)
    }

    static var psqlType: PostgresDataType { .byteaArray }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.reserveCapacity(
            minimumWritableBytes: 20 + elements.reduce(0) { $0 + 4 + $1.count })
        byteBuffer.writeInteger(Int32(elements.isEmpty ? 0 : 1))
        byteBuffer.writeInteger(Int32(0))
        byteBuffer.writeInteger(PostgresDataType.bytea.rawValue)
        // An empty array has no dimension, and so no length, lower bound or elements.
        guard !elements.isEmpty else { return }
        byteBuffer.writeInteger(Int32(elements.count))
        byteBuffer.writeInteger(Int32(1))
        for bytes in elements {
            // Lengths fit Int32, as for every element (see ``PostgresArrayElement``).
            byteBuffer.writeInteger(Int32(bytes.count))
            byteBuffer.writeBytes(bytes)
        }
    }
}
