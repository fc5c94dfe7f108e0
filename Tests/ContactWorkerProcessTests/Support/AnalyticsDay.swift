import ContactWorkerHarness
import Foundation

/// A scripted day of commands (two businesses, two calendar days) for the analytics subscriber's
/// test, with the result status each must get and the funnel a subscriber must compute from the
/// accepted ones.
///
/// Everything is fixed: command ids, contact ids and `issued_at` times, so the events are the same
/// on every run. Besides creations, status changes and interactions of several types, the day
/// holds commands the worker rejects (400, 401, 403, 404, 409, 422), which publish no event and so
/// must leave no trace in the funnel.
struct AnalyticsDay: Sendable {
    struct Step: Sendable {
        var command: TestCommand
        var expectedStatus: Int
        /// What the step changes in the funnel when it is accepted.
        var change: Change
    }

    enum Change: Sendable {
        case created(business: String, contact: String, status: String)
        case statusChanged(contact: String, status: String)
        case interaction(business: String, day: String, type: String)
    }

    static let acme = "acme-field-services"
    static let brightside = "brightside-cleaning"

    let steps: [Step]

    /// Builds the day; tokens are signed with the harness's key.
    init(harness: WorkerHarness) async throws {
        let acme = try await harness.token(sub: "u-ada", name: "Ada", business: Self.acme, role: "manager")
        let brightside = try await harness.token(sub: "u-bo", name: "Bo", business: Self.brightside, role: "employee")
        let brightsideViewer = try await harness.token(
            sub: "u-vi", name: "Vi", business: Self.brightside, role: "viewer")
        var steps: [Step] = []

        func contact(_ business: String, _ number: Int) -> String {
            String(format: "%@0000000-0000-4000-8000-%012d", business == Self.acme ? "a" : "b", number)
        }
        func add(
            _ type: String, _ business: String, _ contact: String, at time: String, _ payload: String,
            token: String?, expect status: Int, _ change: Change
        ) {
            let command = TestCommand(
                commandID: String(format: "00000000-0000-4000-9000-%012d", steps.count + 1), type: type,
                business: business, contactID: contact, issuedAt: time, payload: payload, token: token)
            steps.append(Step(command: command, expectedStatus: status, change: change))
        }
        func create(
            _ business: String, _ number: Int, status: String? = nil, at time: String, token: String,
            expect code: Int = 201
        ) {
            let id = contact(business, number)
            let statusMember = status.map { #", "relationship_status": "\#($0)""# } ?? ""
            add(
                "CreateContact", business, id, at: time, #"{"company_name": "Customer \#(number)"\#(statusMember)}"#,
                token: token, expect: code, .created(business: business, contact: id, status: status ?? "prospect"))
        }
        func interact(
            _ business: String, _ number: Int, _ type: String, at time: String, token: String?,
            expect code: Int = 201, envelopeBusiness: String? = nil
        ) {
            let id = contact(business, number)
            add(
                "AddInteraction", envelopeBusiness ?? business, id, at: time,
                #"{"type": "\#(type)", "description": "\#(type) with customer \#(number)"}"#, token: token,
                expect: code, .interaction(business: business, day: String(time.prefix(10)), type: type))
        }
        func move(
            _ business: String, _ number: Int, to status: String, at time: String, token: String, expect code: Int
        ) {
            let id = contact(business, number)
            add(
                "UpdateStatus", business, id, at: time, #"{"relationship_status": "\#(status)"}"#, token: token,
                expect: code, .statusChanged(contact: id, status: status))
        }

        // Monday 2024-03-04.
        create(Self.acme, 1, at: "2024-03-04T08:00:00Z", token: acme)
        create(Self.acme, 2, status: "qualified_lead", at: "2024-03-04T08:05:00Z", token: acme)
        create(Self.acme, 3, at: "2024-03-04T08:10:00Z", token: acme)
        create(Self.brightside, 1, at: "2024-03-04T08:15:00Z", token: brightside)
        create(Self.brightside, 2, status: "opportunity", at: "2024-03-04T08:20:00Z", token: brightside)
        interact(Self.acme, 1, "call", at: "2024-03-04T09:30:00Z", token: acme)
        interact(Self.acme, 1, "email", at: "2024-03-04T10:00:00Z", token: acme)
        move(Self.acme, 1, to: "qualified_lead", at: "2024-03-04T10:30:00Z", token: acme, expect: 200)
        move(Self.acme, 3, to: "active_client", at: "2024-03-04T11:00:00Z", token: acme, expect: 400)
        interact(Self.acme, 2, "meeting", at: "2024-03-04T13:00:00Z", token: acme)
        interact(Self.brightside, 1, "call", at: "2024-03-04T13:30:00Z", token: brightside)
        interact(Self.brightside, 1, "note", at: "2024-03-04T14:00:00Z", token: brightsideViewer, expect: 403)
        interact(Self.brightside, 2, "telegram", at: "2024-03-04T14:30:00Z", token: brightside, expect: 422)
        create(Self.acme, 1, at: "2024-03-04T15:00:00Z", token: acme, expect: 409)
        // Acme writing about Brightside's contact under its own business: not found.
        interact(
            Self.brightside, 1, "call", at: "2024-03-04T15:30:00Z", token: acme, expect: 404,
            envelopeBusiness: Self.acme)
        move(Self.brightside, 2, to: "active_client", at: "2024-03-04T16:00:00Z", token: brightside, expect: 200)
        interact(Self.acme, 3, "call", at: "2024-03-04T23:59:59Z", token: acme)
        // Tuesday 2024-03-05.
        interact(Self.acme, 1, "meeting", at: "2024-03-05T09:00:00Z", token: acme)
        move(Self.acme, 1, to: "opportunity", at: "2024-03-05T09:30:00Z", token: acme, expect: 200)
        interact(Self.acme, 1, "proposal", at: "2024-03-05T10:00:00Z", token: acme)
        move(Self.acme, 2, to: "lost_lead", at: "2024-03-05T10:30:00Z", token: acme, expect: 200)
        move(Self.acme, 2, to: "lost_lead", at: "2024-03-05T10:45:00Z", token: acme, expect: 400)
        create(Self.acme, 4, at: "2024-03-05T11:00:00Z", token: acme)
        interact(Self.acme, 4, "call", at: "2024-03-05T11:30:00Z", token: acme)
        interact(Self.brightside, 2, "service", at: "2024-03-05T12:00:00Z", token: brightside)
        interact(Self.brightside, 2, "follow_up", at: "2024-03-05T12:30:00Z", token: brightside)
        interact(Self.brightside, 1, "call", at: "2024-03-05T13:00:00Z", token: brightside)
        move(Self.brightside, 1, to: "inactive", at: "2024-03-05T13:30:00Z", token: brightside, expect: 200)
        interact(Self.acme, 3, "email", at: "2024-03-05T14:00:00Z", token: nil, expect: 401)
        move(Self.acme, 3, to: "qualified_lead", at: "2024-03-05T14:30:00Z", token: acme, expect: 200)
        // Acme's token for a contact of Brightside's: not a member.
        create(Self.brightside, 3, at: "2024-03-05T15:00:00Z", token: acme, expect: 403)
        self.steps = steps
    }

    /// The steps the worker accepts: one event each.
    var accepted: [Step] { steps.filter { (200..<300).contains($0.expectedStatus) } }

    /// The contacts the accepted steps create.
    var contactCount: Int {
        accepted.filter { if case .created = $0.change { true } else { false } }.count
    }

    /// The funnel of the accepted steps: each contact's last status, each interaction counted once.
    var expectedFunnel: AnalyticsFunnel {
        var businessOf: [String: String] = [:]
        var statusOf: [String: String] = [:]
        var funnel = AnalyticsFunnel()
        for step in accepted {
            switch step.change {
            case .created(let business, let contact, let status):
                businessOf[contact] = business
                statusOf[contact] = status
            case .statusChanged(let contact, let status):
                statusOf[contact] = status
            case .interaction(let business, let day, let type):
                funnel.businesses[business, default: .init()].interactionsByDay[day, default: [:]][type, default: 0] +=
                    1
            }
        }
        for (contact, status) in statusOf {
            guard let business = businessOf[contact] else { continue }
            funnel.businesses[business, default: .init()].contactsByStatus[status, default: 0] += 1
        }
        return funnel
    }
}
