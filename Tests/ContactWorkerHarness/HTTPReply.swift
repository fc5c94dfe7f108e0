import ContactDomain
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Testing

/// One HTTP answer, read with Foundation's URLSession (no extra dependency).
public struct HTTPReply: Sendable {
    public let status: Int
    public let contentType: String?
    public let wwwAuthenticate: String?
    public let body: [UInt8]

    public init(status: Int, contentType: String?, wwwAuthenticate: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.wwwAuthenticate = wwwAuthenticate
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
    public func json() throws -> JSONValue { try JSONValue.parse(body) }

    public static func get(
        port: Int, path: String, authorization: String?, method: String = "GET"
    ) async throws -> HTTPReply {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData, timeoutInterval: 30)
        request.httpMethod = method
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return HTTPReply(
            status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"),
            wwwAuthenticate: http.value(forHTTPHeaderField: "WWW-Authenticate"), body: Array(data))
    }
}
