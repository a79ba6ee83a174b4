import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle

/// The admin HTTP server (Istio's port 15014): readiness, metrics, and what every proxy was sent,
/// accepted and rejected. Bound to loopback by default; bound anywhere else, every route but the probes (and
/// metrics, unless configured otherwise) requires a bearer token.
public struct AdminServer: Service {
    let host: String
    let port: Int
    let context: AdminContext
    let token: String?
    let publicPaths: Set<String>
    let logger: Logger
    /// Called once the server is bound, with the port it listens on (the real one when asked for port 0).
    let onListening: @Sendable (Int) -> Void

    /// The routes that answer without the token when one is set: probes, and by default the metrics scrape.
    public static let probePaths: Set<String> = ["/ready", "/healthz", "/version"]

    /// Fails when bound beyond loopback without a token: debug output must not be open to the network.
    /// With a token, every route but `publicPaths` requires it; `publicMetrics: false` puts `/metrics` behind it too.
    public init(
        host: String, port: Int, context: AdminContext, token: String?, publicMetrics: Bool = true, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws(AdminConfigurationError) {
        if !Self.isLoopback(host), (token ?? "").isEmpty {
            throw AdminConfigurationError(
                reason:
                    "admin address \(host) is not loopback: set --admin-token or MESHD_ADMIN_TOKEN so /debug/* requires it"
            )
        }
        self.host = host
        self.port = port
        self.context = context
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.publicPaths = publicMetrics ? Self.probePaths.union(["/metrics"]) : Self.probePaths
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let (port, onListening) = (self.port, self.onListening)
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "meshd"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.run()
    }

    /// The routes, exposed for in-process tests.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        if let token { router.add(middleware: BearerTokenMiddleware(token: token, publicPaths: publicPaths)) }
        HealthRoutes(context: context).register(on: router)
        SyncRoutes(context: context).register(on: router)
        ConfigRoutes(context: context).register(on: router)
        ProxyRoutes(context: context).register(on: router)
        ChangeRoutes(context: context).register(on: router)
        CARoutes(context: context).register(on: router)
        ReplicaRoutes(context: context).register(on: router)
        StatusPageRoutes(context: context).register(on: router)
        DiffRoutes(context: context).register(on: router)
        AuthorizationRoutes(context: context).register(on: router)
        return router
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// Why the admin server refused its configuration.
public struct AdminConfigurationError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
