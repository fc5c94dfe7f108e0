import PostgresNIO

/// One column of a batch statement as a one-dimensional PostgreSQL array in the binary wire
/// format, its elements written into one buffer as the rows are visited, NULLs included.
///
/// Batch statements bind one array per column (`INSERT … SELECT FROM UNNEST($1, $2, …)`). A
/// column is filled in the same pass over the rows as the others, so no Swift array of the
/// column's values is built, and each element's bytes are written once, without a call through
/// PostgresNIO's generic element encoding. PostgresNIO's `[Element]` has no NULL elements; this
/// does.
///
/// The encoding, as PostgreSQL's `array_recv` reads it: the number of dimensions (0 for an empty
/// array, else 1), a has-NULLs flag (0 or 1), the element type's oid; for the one dimension its
/// length and lower bound (1); then every element as its length and bytes, or length -1 for NULL.
struct PostgresArrayColumn<Element: PostgresArrayElement>: PostgresNonThrowingEncodable, Sendable {
    /// The elements' wire bytes, in order; the header is written in front of them by ``encode(into:context:)``.
    private var elements: ByteBuffer
    /// The number of elements appended.
    private(set) var count = 0
    /// Whether any element is NULL: the header's flag.
    private var hasNulls = false

    /// An empty column with room for `rows` typical elements.
    init(reservingRows rows: Int) {
        elements = ByteBufferAllocator().buffer(capacity: rows * Element.typicalWireSize)
    }

    /// A column of `values`, in order, without NULLs.
    init(_ values: some Collection<Element>) {
        self.init(reservingRows: values.count)
        for value in values { append(value) }
    }

    /// A column of `values`, in order.
    init(_ values: some Collection<Element?>) {
        self.init(reservingRows: values.count)
        for value in values { append(value) }
    }

    /// Appends a value.
    mutating func append(_ value: Element) {
        value.writeArrayElement(into: &elements)
        count += 1
    }

    /// Appends a value, or NULL for `nil`.
    mutating func append(_ value: Element?) {
        guard let value else {
            elements.writeInteger(Int32(-1))
            hasNulls = true
            count += 1
            return
        }
        append(value)
    }

    static var psqlType: PostgresDataType { Element.postgresArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(Int32(count == 0 ? 0 : 1))
        byteBuffer.writeInteger(Int32(hasNulls ? 1 : 0))
        byteBuffer.writeInteger(Element.postgresElementType.rawValue)
        // An empty array has no dimension, and so no length, lower bound or elements.
        guard count > 0 else { return }
        byteBuffer.writeInteger(Int32(count))
        byteBuffer.writeInteger(Int32(1))
        byteBuffer.writeImmutableBuffer(elements)
    }
}
