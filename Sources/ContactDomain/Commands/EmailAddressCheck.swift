/// Decides whether a string "looks like an email address" (docs/contract.md §3), explaining why not.
///
/// A deliberately small subset of what the source API's `email-validator` enforced, with its
/// wording: one `@`, a non-empty local part of letters, digits and ``allowedLocalSymbols`` with no
/// leading, trailing or doubled dots, and a domain of at least two dot-separated labels made of
/// letters, digits and inner hyphens. No DNS lookups: the domain module does no I/O.
public enum EmailAddressCheck {
    /// The punctuation RFC 5322 allows unquoted in the local part (besides `.`).
    public static let allowedLocalSymbols: Set<Unicode.Scalar> = Set("!#$%&'*+-/=?^_`{|}~".unicodeScalars)

    /// `nil` when `address` looks like an email address, else the reason it does not.
    public static func problem(in address: String) -> String? {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return "The email address is not valid. It must have exactly one @-sign."
        }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty else { return "There must be something before the @-sign." }
        guard !domain.isEmpty else { return "There must be something after the @-sign." }

        let badLocal = local.unicodeScalars.filter {
            !($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "."
                || allowedLocalSymbols.contains($0))
        }
        if let first = badLocal.first {
            return "The email address contains invalid characters before the @-sign: '\(first)'."
        }
        if local.hasPrefix(".") { return "An email address cannot start with a period." }
        if local.hasSuffix(".") { return "An email address cannot have a period immediately before the @-sign." }
        if local.contains("..") { return "An email address cannot have two periods in a row." }

        let badDomain = domain.unicodeScalars.filter {
            !($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "." || $0 == "-")
        }
        if let first = badDomain.first {
            return "The part after the @-sign contains invalid characters: '\(first)'."
        }
        if domain.hasPrefix(".") { return "An email address cannot have a period immediately after the @-sign." }
        if domain.hasSuffix(".") { return "An email address cannot end with a period." }
        if domain.contains("..") { return "An email address cannot have two periods in a row." }
        let labels = domain.split(separator: ".")
        guard labels.count >= 2 else { return "The part after the @-sign is not valid. It should have a period." }
        if labels.contains(where: { $0.hasPrefix("-") || $0.hasSuffix("-") }) {
            return "The part after the @-sign is not valid. A label cannot start or end with a hyphen."
        }
        return nil
    }
}
