import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

extension FakeKubernetes {
    /// Serves the API on `127.0.0.1:port` (0 picks a free port) while `body` runs, and stops when it returns.
    /// `body` receives the port; the server is accepting connections when it is called.
    public func serving<T: Sendable>(port: Int = 0, _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-kubernetes")
        logger.logLevel = .error
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "fake-kube-apiserver"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        // Stopped gracefully: open watch bodies are ended first and the server drains, since cancelling
        // Hummingbird while a streaming body is being written traps in NIO ("Deinited NIOAsyncWriter").
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            let outcome: Result<T, any Error>
            var ports = portStream.makeAsyncIterator()
            if let bound = await ports.next() {
                do {
                    outcome = .success(try await body(bound))
                } catch {
                    outcome = .failure(error)
                }
            } else {
                outcome = .failure(SeedError(description: "the fake API server did not start"))
            }
            dropWatches()
            await services.triggerGracefulShutdown()
            // A bounded drain; past it, fall back to cancellation.
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return nil
            }
            _ = try? await group.next()
            group.cancelAll()
            return try outcome.get()
        }
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // One catch-all per method: the trie router does not fall back from a literal segment to `**`.
        router.post("**") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 4 * 1024 * 1024)
            if request.uri.path == "/apis/authentication.k8s.io/v1/tokenreviews" {
                return self.tokenReview(Data(body.readableBytesView))
            }
            return await self.write("POST", request: request, body: Data(body.readableBytesView))
        }
        router.put("**") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 4 * 1024 * 1024)
            return await self.write("PUT", request: request, body: Data(body.readableBytesView))
        }
        router.delete("**") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1024 * 1024)
            return await self.write("DELETE", request: request, body: Data(body.readableBytesView))
        }
        router.get("**") { request, _ in
            let agent = request.headers[.userAgent] ?? ""
            if FakeResource.forPath(request.uri.path) == nil, let target = FakeObjectPath(request.uri.path) {
                if let refused = self.refusal(target, method: "GET", path: request.uri.path, userAgent: agent) {
                    return refused
                }
                return self.getObject(target)
            }
            return self.get(path: request.uri.path, query: request.uri.queryParameters, userAgent: agent)
        }
        return router
    }

    /// POST, PUT and DELETE of objects (the fake's write API), after the injected refusals.
    func write(_ method: String, request: Request, body: Data) async -> Hummingbird.Response {
        let path = request.uri.path
        guard let target = FakeObjectPath(path) else {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
        let agent = request.headers[.userAgent] ?? ""
        if let refused = refusal(target, method: method, path: path, userAgent: agent) { return refused }
        if target.resource.isCustom, state.withLock({ $0.uninstalledCRDs.contains(target.resource.crdName) }) {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
        switch method {
        case "POST": return await create(target, body: body, userAgent: agent, path: path)
        case "PUT": return await replace(target, body: body, userAgent: agent, path: path)
        default: return deleteObject(target, userAgent: agent, path: path, options: body)
        }
    }

    func get(path: String, query: FlatDictionary<Substring, Substring>, userAgent: String = "") -> Hummingbird.Response
    {
        guard let (resource, namespace) = FakeResource.forPath(path) else {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
        if let refused = refusal(
            FakeObjectPath(resource: resource, namespace: namespace ?? "", name: nil, subresource: nil), method: "GET",
            path: path, userAgent: userAgent)
        {
            return refused
        }
        let isWatch = query["watch"] == "true" || query["watch"] == "1"
        let uninstalled = state.withLock { state -> Bool in
            if !isWatch && query["continue"] == nil { state.listCalls[resource.collectionPath, default: 0] += 1 }
            return resource.isCustom && state.uninstalledCRDs.contains(resource.crdName)
        }
        if uninstalled {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
        if let fault = faultResponse(for: resource, isWatch: isWatch) { return fault }
        let fieldSelector = query["fieldSelector"].map(String.init)
        if let watch = query["watch"], watch == "true" || watch == "1" {
            let timeout = query["timeoutSeconds"].flatMap { Int($0) } ?? 1800
            return self.watch(
                resource, namespace: namespace, from: query["resourceVersion"].map(String.init) ?? "",
                fieldSelector: fieldSelector, timeout: timeout)
        }
        return list(
            resource, namespace: namespace, limit: query["limit"].flatMap { Int($0) },
            continueToken: query["continue"].map { String($0).removingPercentEncoding ?? String($0) },
            fieldSelector: fieldSelector,
            labelSelector: query["labelSelector"].map { String($0).removingPercentEncoding ?? String($0) })
    }

    /// A `meta/v1` Status error response, as the real server writes it.
    static func status(
        _ code: Int, reason: String, _ message: String, details: [String: Any] = [:]
    ) -> Hummingbird.Response {
        let object: [String: Any] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure", "message": message,
            "reason": reason, "details": details, "code": code,
        ]
        return json(serialize(object), status: HTTPTypes.HTTPResponse.Status(code: code))
    }

    static func json(_ text: String, status: HTTPTypes.HTTPResponse.Status = .ok) -> Hummingbird.Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
