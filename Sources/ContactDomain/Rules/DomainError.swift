/// A contact rule the command would break; answered with status 400.
public enum DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The relationship status may not move from `from` to `to` (also used for a same-status
    /// request that does not change the lifecycle stage).
    case invalidStatusTransition(from: RelationshipStatus, to: RelationshipStatus)

    /// The `detail` text of the 400 body, e.g.
    /// `Invalid status transition: cannot move from prospect to active_client`.
    public var message: String {
        switch self {
        case .invalidStatusTransition(let from, let to):
            "Invalid status transition: cannot move from \(from.rawValue) to \(to.rawValue)"
        }
    }

    /// Same as ``message``.
    public var description: String { message }
}
