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
            guard request.uri.path == "/apis/authentication.k8s.io/v1/tokenreviews" else {
                return Self.status(405, reason: "MethodNotAllowed", "the fake serves POST only for tokenreviews")
            }
            var request = request
            let body = try await request.collectBody(upTo: 1024 * 1024)
            return self.tokenReview(Data(body.readableBytesView))
        }
        router.get("**") { request, _ in
            self.get(path: request.uri.path, query: request.uri.queryParameters)
        }
        return router
    }

    func get(path: String, query: FlatDictionary<Substring, Substring>) -> Hummingbird.Response {
        guard let (resource, namespace) = FakeResource.forPath(path) else {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
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
            fieldSelector: fieldSelector)
    }

    /// A `meta/v1` Status error response, as the real server writes it.
    static func status(_ code: Int, reason: String, _ message: String) -> Hummingbird.Response {
        let object: [String: Any] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure", "message": message,
            "reason": reason, "details": [String: Any](), "code": code,
        ]
        return json(serialize(object), status: HTTPTypes.HTTPResponse.Status(code: code))
    }

    static func json(_ text: String, status: HTTPTypes.HTTPResponse.Status = .ok) -> Hummingbird.Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
