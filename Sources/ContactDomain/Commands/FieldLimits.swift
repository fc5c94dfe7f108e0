/// The length limits of SPEC §3, in characters.
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
        text.unicodeScalars.count
    }
}
