/// The funnel `examples/analytics-subscriber` reports (`subscriber.py report`): per business, its
/// contacts by relationship status and its interactions by UTC day and type, plus how many events
/// it holds back until the versions before them arrive.
struct AnalyticsFunnel: Codable, Equatable, Sendable, CustomStringConvertible {
    struct Business: Codable, Equatable, Sendable {
        var contactsByStatus: [String: Int] = [:]
        /// Day (`YYYY-MM-DD`) → interaction type → count.
        var interactionsByDay: [String: [String: Int]] = [:]

        enum CodingKeys: String, CodingKey {
            case contactsByStatus = "contacts_by_status"
            case interactionsByDay = "interactions_by_day"
        }
    }

    var businesses: [String: Business] = [:]
    var pendingEvents = 0

    enum CodingKeys: String, CodingKey {
        case businesses
        case pendingEvents = "pending_events"
    }

    var description: String {
        let lines = businesses.keys.sorted().map { name in
            let business = businesses[name] ?? Business()
            let statuses = business.contactsByStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let days = business.interactionsByDay.keys.sorted().map { day in
                let types = (business.interactionsByDay[day] ?? [:]).sorted { $0.key < $1.key }
                return "\(day): " + types.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            return "\(name): contacts \(statuses.joined(separator: ", ")); interactions \(days.joined(separator: "; "))"
        }
        return (lines + ["pending events \(pendingEvents)"]).joined(separator: "\n")
    }
}
