/// A stored value that does not map back to the model (unknown enum raw value, malformed UUID).
struct RowValueError: Error {
    var detail: String
}
