import PostgresNIO

/// A one-dimensional PostgreSQL array whose elements may be NULL, in the binary wire format.
///
/// PostgresNIO encodes `[Element]` but not `[Element?]`; batch inserts bind one array per column
/// (`INSERT … SELECT FROM UNNEST($1, $2, …)`), and optional columns need NULL elements.
struct PostgresNullableArray<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>:
    PostgresNonThrowingEncodable, Sendable
where Element: Sendable {
    var elements: [Element?]

    init(_ elements: [Element?]) {
        self.elements = elements
    }

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        // Header: number of dimensions, has-nulls flag, element type oid; then per dimension its
        // length and lower bound; then each element as a length-prefixed value (-1 for NULL).
        byteBuffer.writeInteger(Int32(elements.isEmpty ? 0 : 1))
        byteBuffer.writeInteger(Int32(elements.contains { $0 == nil } ? 1 : 0))
        byteBuffer.writeInteger(Element.psqlType.rawValue)
        guard !elements.isEmpty else { return }
        byteBuffer.writeInteger(Int32(elements.count))
        byteBuffer.writeInteger(Int32(1))
        for element in elements {
            guard let element else {
                byteBuffer.writeInteger(Int32(-1))
                continue
            }
            let lengthIndex = byteBuffer.writerIndex
            byteBuffer.writeInteger(Int32(0))
            let start = byteBuffer.writerIndex
            element.encode(into: &byteBuffer, context: context)
            byteBuffer.setInteger(Int32(byteBuffer.writerIndex - start), at: lengthIndex)
        }
    }
}
