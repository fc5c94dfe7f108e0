import ContactDomain
import Foundation

/// Which stored events to read back for `contact-worker republish`: one contact's, or those
/// whose time falls in a range.
public enum EventSelection: Sendable, Hashable {
    /// Every event about this contact.
    case contact(UUID)
    /// Every event with `since <= time < until`; no upper bound when `until` is nil.
    case time(since: Timestamp, until: Timestamp?)
}
