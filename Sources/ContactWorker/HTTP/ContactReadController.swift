import ContactDomain
import ContactStore
import Hummingbird
import Logging

/// `GET /contacts/{id}/interactions` and `GET /contacts/{id}/status-history` (docs/contract.md §10).
///
/// Each request is checked in docs/contract.md §4's order: credentials (401), `view_contacts` (403), then
/// ``ContactQueries`` validates the id and paging (422) and scopes the contact to the token's
/// business (404). Bodies and statuses are exactly ``ContactQueries/Outcome``'s.
struct ContactReadController: Sendable {
    let access: ReadAccess
    let queries: ContactQueries
    let logger: Logger
    /// Token expiry is checked against this clock.
    var clock: WorkerClock = .system

    /// Detail of the answer when the store cannot be reached (the worker is backing off too).
    static let unavailableDetail = "Service temporarily unavailable"
    /// Detail of the answer to a store failure that is not an outage.
    static let internalErrorDetail = "Internal server error"

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/contacts/:id/interactions") { request, context in
            await self.respond(.interactions, request: request, contactID: context.parameters.get("id"))
        }
        router.get("/contacts/:id/status-history") { request, context in
            await self.respond(.statusHistory, request: request, contactID: context.parameters.get("id"))
        }
    }

    func respond(_ listing: ContactQueries.Listing, request: Request, contactID: String?) async -> Response {
        let principal: Principal
        switch await access.authorize(authorizationHeader: request.headers[.authorization], now: clock.now()) {
        case .success(let authorized):
            principal = authorized
        case .failure(let denial):
            if case .unauthenticated(let failure) = denial {
                logger.debug("read refused", metadata: ["reason": "\(failure)", "path": "\(request.uri.path)"])
            }
            var response = JSONResponse.make(status: denial.status, body: denial.body)
            // RFC 6750 §3: a 401 tells the client which scheme to authenticate with.
            if denial.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        }
        let parameters = request.uri.queryParameters
        do {
            let outcome = try await queries.list(
                listing, contactID: contactID ?? "", businessID: principal.businessID,
                // A repeated parameter counts with its last value, as in the FastAPI service this
                // replaces (`?limit=10&limit=500` is a 422, not a page of 10).
                skip: parameters[values: "skip"].last.map(String.init),
                limit: parameters[values: "limit"].last.map(String.init))
            return JSONResponse.make(status: outcome.status, body: outcome.body)
        } catch {
            let retriable = Retrier.isRetriable(error)
            logger.log(
                level: retriable ? .warning : .error, "read failed",
                metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return retriable
                ? JSONResponse.detail(status: 503, Self.unavailableDetail)
                : JSONResponse.detail(status: 500, Self.internalErrorDetail)
        }
    }
}
