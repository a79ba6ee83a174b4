import Hummingbird

/// Requires `Authorization: Bearer <token>` on `/debug/*` and on the status page `/`, which shows much of
/// the same; readiness, health, version and metrics stay open so probes and scrapers work.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/debug") || path == "/" else { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            return Response(
                status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "401 Unauthorized: this path requires a bearer token\n")))
        }
        return try await next(request, context)
    }
}
