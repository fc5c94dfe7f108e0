/// The length limits of docs/contract.md §3, in characters.
///
/// "Characters" are Unicode scalars, which is what the source API (Python `len`) counted, so a
/// limit means the same thing on both sides; an emoji made of several scalars counts as several.
public enum FieldLimits {
    /// `first_name`: at most 100.
    public static let firstName = 100
    /// `last_name`: at most 100.
    public static let lastName = 100
    /// `company_name`: at most 200.
    public static let companyName = 200
    /// `email`: at most 320.
    public static let email = 320
    /// `phone`: at most 20.
    public static let phone = 20
    /// `description` of an interaction: 1 to 1000.
    public static let description = 1...1000
    /// `outcome` of an interaction: at most 200.
    public static let outcome = 200
    /// `next_action` of an interaction: at most 500.
    public static let nextAction = 500
    /// `reason` of a status change: at most 500.
    public static let reason = 500
    /// `notes` of a status change: at most 2000.
    public static let notes = 2000
    /// The envelope's `business_id`: 1 to 255. Not in the spec; bounded so a hostile sender cannot
    /// make every row and result carry megabytes of id.
    public static let businessID = 1...255

    /// The length of `text` as the limits count it (Unicode scalars).
    public static func length(of text: String) -> Int {
        measure(text).length
    }

    /// ``length(of:)`` and whether `text` holds a NUL, in one pass over its UTF-8: the scalars are
    /// the bytes that do not continue a multi-byte sequence (`10xxxxxx`).
    ///
    /// Eight bytes are counted at a time, as one word: this runs over every string field of
    /// every command.
    static func measure(_ text: String) -> (length: Int, containsNUL: Bool) {
        text.withUTF8Bytes { bytes in
            var continuations = 0
            var containsNUL = false
            var offset = 0
            if let base = bytes.baseAddress {
                let raw = UnsafeRawPointer(base)
                while offset + 8 <= bytes.count {
                    let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    // A continuation byte has its top bit set and the next one clear; shifting
                    // left by one puts each byte's second bit where its top bit was.
                    continuations += (word & ~(word << 1) & .byteLaneHighBits).nonzeroBitCount
                    if word.hasByte(below: 1) { containsNUL = true }
                    offset += 8
                }
            }
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte & 0xC0 == 0x80 { continuations += 1 }
                if byte == 0 { containsNUL = true }
                offset += 1
            }
            return (bytes.count - continuations, containsNUL)
        }
    }

    /// The most characters of a `correlation-id` header (longer ones are a 422, docs/contract.md §4 step 4).
    public static let correlationID = 255

    /// The most characters of a token's `sub`, `name` or `business_id` claim the worker accepts
    /// (longer ones are a 401): they are recorded as `performed_by` / `changed_by` and echoed.
    public static let claim = 255

    /// The most characters of a raw value echoed into a result or stored with it when it is not
    /// valid (an unknown `type`, a `command_id` that is not a UUID, an over-long `business_id`).
    public static let echo = 255

    /// `text` as the worker echoes and stores an unvalidated value: its first ``echo``
    /// characters, with NUL replaced by U+FFFD (PostgreSQL `text` cannot hold NUL).
    ///
    /// Bounded so that a result always fits in a Kafka message and a stored key in an index,
    /// whatever a sender puts in the envelope.
    public static func echoed(_ text: String) -> String {
        let measured = measure(text)
        guard measured.length > echo || measured.containsNUL else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(echo) {
            scalars.append(scalar == "\u{0}" ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }

    /// Whether a token claim can be recorded: at most ``claim`` characters, no NUL.
    static func isStorableClaim(_ text: String) -> Bool {
        let measured = measure(text)
        return measured.length <= claim && !measured.containsNUL
    }
}
