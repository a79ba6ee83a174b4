import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A tiny HTTP server on 127.0.0.1 (ephemeral port) that answers every GET with one settable reply: a JWKS issuer,
/// an ext_authz stand-in, a broken upstream. Counts the requests it answered. Thread-safe.
public final class StaticHTTPServer: Sendable {
    /// What every request gets.
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var contentType: String
        /// Waits this long before answering (to exceed a client's timeout).
        public var delay: Duration?

        public init(status: Int = 200, body: String, contentType: String = "application/json", delay: Duration? = nil) {
            self.status = status
            self.body = body
            self.contentType = contentType
            self.delay = delay
        }
    }

    let reply: Mutex<Reply>
    let hits = Atomic<Int>(0)

    public init(_ reply: Reply) {
        self.reply = Mutex(reply)
    }

    /// Replaces the reply for the requests that follow.
    public func set(_ reply: Reply) {
        self.reply.withLock { $0 = reply }
    }

    /// How many requests were answered so far.
    public var requestCount: Int { hits.load(ordering: .relaxed) }

    /// Serves while `body` runs; `body` gets the port, and the server accepts connections when it is called.
    public func serving<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "static-http")
        logger.logLevel = .error
        let router = Router()
        router.get("**") { _, _ -> Hummingbird.Response in
            let reply = self.reply.withLock { $0 }
            if let delay = reply.delay { try? await Task.sleep(for: delay) }
            self.hits.add(1, ordering: .relaxed)
            var headers = HTTPFields()
            headers[.contentType] = reply.contentType
            return Hummingbird.Response(
                status: HTTPTypes.HTTPResponse.Status(code: reply.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "static-http"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            var ports = portStream.makeAsyncIterator()
            let outcome: Result<T, any Error>
            if let port = await ports.next() {
                do { outcome = .success(try await body(port)) } catch { outcome = .failure(error) }
            } else {
                outcome = .failure(HarnessError("the static HTTP server did not start"))
            }
            await services.triggerGracefulShutdown()
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return nil
            }
            _ = try? await group.next()
            group.cancelAll()
            return try outcome.get()
        }
    }
}
