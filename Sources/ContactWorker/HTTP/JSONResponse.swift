import ContactDomain
import Hummingbird

/// Builds the JSON responses of the HTTP side.
///
/// Bodies are written with ``JSONValue/encoded()`` rather than `Codable`, so members keep the
/// order docs/contract.md §10 shows (`{"interactions": […], "total", "skip", "limit"}`) and the bytes are the
/// same as the worker's results.
enum JSONResponse {
    /// The content type of every JSON response.
    static let contentType = "application/json"

    /// A response with `status` and `body` encoded as JSON.
    static func make(status: Int, body: JSONValue) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded())))
    }

    /// A response `{"detail": "<detail>"}`, the shape of every error of docs/contract.md §4.
    static func detail(status: Int, _ detail: String) -> Response {
        make(status: status, body: .object(["detail": .string(detail)]))
    }
}
