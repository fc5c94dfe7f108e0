import ContactDomain
import ContactStore
import Foundation

/// The read side of docs/contract.md §10: a contact's interactions and status history, newest first, paged.
///
/// Shared by the HTTP endpoints and the `interactions` / `history` subcommands, so both validate
/// paging the same way and return the same bodies. Authentication and permissions are the
/// caller's concern; business isolation is applied here (another business's contact is "not
/// found", exactly like a missing one).
public struct ContactQueries: Sendable {
    /// Which list to read.
    public enum Listing: String, Sendable {
        case interactions
        case statusHistory = "status-history"

        /// The member of the response body that holds the items.
        public var itemsKey: String {
            switch self {
            case .interactions: "interactions"
            case .statusHistory: "entries"
            }
        }
    }

    /// What a query came to.
    public enum Outcome: Sendable, Equatable {
        /// 200 with the body `{"<items>": […], "total", "skip", "limit"}`.
        case page(JSONValue)
        /// 422: the contact id or paging parameters are invalid (one problem per parameter).
        case invalid([ValidationProblem])
        /// 404: no such contact in this business.
        case notFound

        /// The HTTP status of this outcome.
        public var status: Int {
            switch self {
            case .page: 200
            case .invalid: 422
            case .notFound: 404
            }
        }

        /// The JSON body of this outcome, as the HTTP side returns it.
        public var body: JSONValue {
            switch self {
            case .page(let body): body
            case .invalid(let problems): .object(["detail": .array(problems.map(\.json))])
            case .notFound: .object(["detail": .string(ResultDetail.contactNotFound)])
            }
        }
    }

    /// `limit` when the request gives none.
    public static let defaultLimit = 50
    /// The largest `limit` accepted.
    public static let maximumLimit = 100

    public let store: any ContactStore

    public init(store: any ContactStore) {
        self.store = store
    }

    /// Reads one page. `skip` and `limit` are the raw query parameters (nil when absent), so
    /// that a non-integer is reported like any other invalid value.
    ///
    /// - Throws: the store's errors (``StoreError``); invalid input is an ``Outcome``, not an error.
    public func list(
        _ listing: Listing, contactID: String, businessID: String, skip: String?, limit: String?
    ) async throws -> Outcome {
        var problems: [ValidationProblem] = []
        let id = UUID(strictString: contactID)
        if id == nil {
            problems.append(
                ValidationProblem(
                    loc: ["path", "contact_id"],
                    msg: "Input should be a valid UUID, invalid character or length", type: "uuid_parsing"))
        }
        let skipValue = Self.integer(skip, name: "skip", default: 0, minimum: 0, maximum: nil, problems: &problems)
        let limitValue = Self.integer(
            limit, name: "limit", default: Self.defaultLimit, minimum: 1, maximum: Self.maximumLimit,
            problems: &problems)
        guard problems.isEmpty, let id, let skipValue, let limitValue else { return .invalid(problems) }

        guard try await store.contact(id: id, businessID: businessID) != nil else { return .notFound }
        let items: [JSONValue]
        let total: Int
        switch listing {
        case .interactions:
            let page = try await store.interactions(contactID: id, skip: skipValue, limit: limitValue)
            items = page.items.map(ResultBodies.interaction)
            total = page.total
        case .statusHistory:
            let page = try await store.statusHistory(contactID: id, skip: skipValue, limit: limitValue)
            items = page.items.map(ResultBodies.historyEntry)
            total = page.total
        }
        return .page(
            .object([
                listing.itemsKey: .array(items),
                "total": .integer(total),
                "skip": .integer(skipValue),
                "limit": .integer(limitValue),
            ]))
    }

    /// Parses a query integer with pydantic's wording for the problems.
    private static func integer(
        _ text: String?, name: String, default defaultValue: Int, minimum: Int, maximum: Int?,
        problems: inout [ValidationProblem]
    ) -> Int? {
        guard let text else { return defaultValue }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            problems.append(
                ValidationProblem(
                    loc: ["query", name], msg: "Input should be a valid integer, unable to parse string as an integer",
                    type: "int_parsing"))
            return nil
        }
        if value < minimum {
            problems.append(
                ValidationProblem(
                    loc: ["query", name], msg: "Input should be greater than or equal to \(minimum)",
                    type: "greater_than_equal"))
            return nil
        }
        if let maximum, value > maximum {
            problems.append(
                ValidationProblem(
                    loc: ["query", name], msg: "Input should be less than or equal to \(maximum)",
                    type: "less_than_equal"))
            return nil
        }
        return value
    }
}
