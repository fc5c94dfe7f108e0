/// Derives a contact's `display_name` (docs/contract.md §3): `company_name` if present, else
/// `first_name last_name` trimmed.
///
/// "Present" means not blank: a company name of only whitespace does not count, so a display name
/// is never empty for a contact that passed validation. The chosen text is trimmed of surrounding
/// whitespace; stored names themselves are never trimmed.
public enum DisplayName {
    /// The display name for the given name fields.
    public static func derive(firstName: String?, lastName: String?, companyName: String?) -> String {
        if let company = companyName?.trimmingWhitespace, !company.isEmpty {
            return company
        }
        return "\(firstName ?? "") \(lastName ?? "")".trimmingWhitespace
    }
}

extension String {
    /// The string without leading and trailing Unicode whitespace (including newlines); what
    /// Python's `str.strip()` removes, without needing Foundation.
    var trimmingWhitespace: String {
        // Text that starts and ends with a visible ASCII character (`!`…`~`, never whitespace) has
        // nothing to trim: it comes back as it is, with no copy and no scalar properties looked up.
        let visibleASCII: ClosedRange<UInt8> = 0x21...0x7E
        if let first = utf8.first, let last = utf8.last, visibleASCII.contains(first), visibleASCII.contains(last) {
            return self
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Whether the string is empty or only whitespace.
    var isBlank: Bool {
        unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }
}
