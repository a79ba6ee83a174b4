import Hummingbird

/// Requires `Authorization: Bearer <token>` on every request except an explicit list of public routes
/// (readiness, health, version and, unless configured otherwise, metrics), so probes and scrapers work.
///
/// Deny by default: the check runs before routing, on the path as it arrived, and a path counts as public only
/// when it is unambiguously one of the public routes. The router ignores empty segments (`//debug` routes to
/// `/debug`), so the public test compares non-empty segments too; any path with a `.` or `..` segment, a
/// percent-escape, or anything else that is not exactly a public route needs the token, whatever the router
/// would make of it.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    /// Public routes, as their non-empty path segments (`/ready` is `["ready"]`).
    let publicRoutes: Set<[Substring]>

    init(token: String, publicPaths: Set<String>) {
        self.token = token
        self.publicRoutes = Set(publicPaths.map { $0.split(separator: "/") })
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard !isPublic(request.uri.path) else { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "401 Unauthorized: this path requires a bearer token\n")))
        }
        return try await next(request, context)
    }

    func isPublic(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.contains("%"), !path.contains("\\") else { return false }
        let segments = path.split(separator: "/")
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return false }
        return publicRoutes.contains(segments)
    }
}
