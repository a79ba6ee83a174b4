import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `--admin URL` and `--token`, shared by the commands that talk to a running meshd.
struct AdminOptions: ParsableArguments {
    @Option(name: .long, help: "meshd's admin server.")
    var admin: String = "http://127.0.0.1:15014"

    @Option(
        name: .long, help: "Bearer token for /debug/* (also MESHD_ADMIN_TOKEN); needed when admin is not on loopback.")
    var token: String?

    /// `--token`, else `MESHD_ADMIN_TOKEN`; nil when neither is set (or empty).
    var resolvedToken: String? {
        (token ?? ProcessInfo.processInfo.environment["MESHD_ADMIN_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The client for these options; a `ValidationError` when the URL is not http(s).
    func client() throws -> AdminClient {
        let text = admin.contains("://") ? admin : "http://\(admin)"
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw ValidationError("--admin: expected a URL such as http://127.0.0.1:15014, got \"\(admin)\"")
        }
        let token = token ?? ProcessInfo.processInfo.environment["MESHD_ADMIN_TOKEN"]
        return AdminClient(base: url, token: token.flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// Why a request to the admin server did not give a usable answer. Its description is the message the user sees.
struct AdminClientError: Error, CustomStringConvertible {
    var description: String
}

/// A small HTTP client for meshd's admin API. Sends the bearer token when one is set.
struct AdminClient: Sendable {
    /// One answer: the HTTP status and the body.
    struct Reply: Sendable {
        var status: Int
        var body: Data
    }

    let base: URL
    let token: String?

    /// GETs `path` and decodes a 200 answer as `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        let reply = try await send(path: path, method: "GET", body: nil)
        guard reply.status == 200 else { throw failure(path, reply) }
        return try decode(T.self, from: reply, path: path)
    }

    /// POSTs a JSON body to `path` and returns the answer whatever its status.
    func post(_ path: String, json: Data) async throws -> Reply {
        try await send(path: path, method: "POST", body: json)
    }

    /// Decodes a reply body, with an error that quotes the start of the body.
    func decode<T: Decodable>(_ type: T.Type, from reply: Reply, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: reply.body)
        } catch {
            let start = String(decoding: reply.body.prefix(200), as: UTF8.self)
            throw AdminClientError(description: "\(url(path)) answered something unexpected (\(error)): \(start)")
        }
    }

    /// The error for a non-success answer, with a hint for the usual causes.
    func failure(_ path: String, _ reply: Reply) -> AdminClientError {
        let body = String(decoding: reply.body.prefix(500), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        var message = "\(url(path)) answered HTTP \(reply.status): \(body)"
        if reply.status == 401 { message += "\nhint: pass --token or set MESHD_ADMIN_TOKEN" }
        if reply.status == 404, body.isEmpty {
            message += "\nhint: is this meshd's admin address and a meshd new enough?"
        }
        return AdminClientError(description: message)
    }

    private func url(_ path: String) -> String {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text + path
    }

    private func send(path: String, method: String, body: Data?) async throws -> Reply {
        guard let url = URL(string: url(path)) else {
            throw AdminClientError(description: "bad admin URL \(self.url(path))")
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let base = base
        return try await withCheckedThrowingContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(
                        throwing: AdminClientError(
                            description:
                                "cannot reach meshd admin at \(base.absoluteString): \(error.localizedDescription)\n"
                                + "hint: is `meshd serve` running? Point at it with --admin URL"))
                    return
                }
                guard let http = response as? HTTPURLResponse else {
                    continuation.resume(throwing: AdminClientError(description: "\(url) gave no HTTP answer"))
                    return
                }
                continuation.resume(returning: Reply(status: http.statusCode, body: data ?? Data()))
            }
            task.resume()
        }
    }
}
