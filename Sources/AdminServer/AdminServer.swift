public import Discovery
import Foundation
import Hummingbird
public import Logging
public import Registry
public import ServiceLifecycle
public import XDSServer

/// The admin HTTP server (Istio's port 15014): readiness and what every proxy was sent, accepted and
/// rejected. Bound to loopback by default.
public struct AdminServer: Service {
    let host: String
    let port: Int
    let store: ConfigStore
    let ads: ADSServer<MeshResourceProvider>
    let readiness: Readiness
    let logger: Logger

    public init(host: String, port: Int, store: ConfigStore, ads: ADSServer<MeshResourceProvider>, readiness: Readiness, logger: Logger) {
        self.host = host
        self.port = port
        self.store = store
        self.ads = ads
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "meshd"),
            logger: logger)
        try await app.run()
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let readiness = readiness
        let store = store
        let ads = ads
        router.get("/ready") { _, _ -> Response in
            let pending = readiness.pending
            if pending.isEmpty { return Self.text("ready\n", status: .ok) }
            return Self.text("not ready: \(pending.joined(separator: "; "))\n", status: .serviceUnavailable)
        }
        router.get("/healthz") { _, _ in Self.text("ok\n", status: .ok) }
        router.get("/debug/syncz") { _, _ in
            Self.json(ads.status.all().map { ProxySyncJSON($0) })
        }
        router.get("/debug/configz") { _, _ in
            Self.json(ConfigStatusJSON(store: store))
        }
        return router
    }

    static func text(_ body: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(value) else {
            return text("could not encode response\n", status: .internalServerError)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
