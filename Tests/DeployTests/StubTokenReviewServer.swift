import Foundation
import Hummingbird
import Logging
import Synchronization

/// A minimal stand-in for the API server's TokenReview endpoint, answering the way kube-apiserver does: a token is
/// authenticated only when it is known, its service account still exists and its audiences meet the requested
/// ones. Until the shared fake API server (Tests/MeshTestSupport/FakeKubernetes) serves TokenReview, this is it.
final class StubTokenReviewServer: Sendable {
    struct IssuedToken: Sendable {
        var namespace: String
        var serviceAccount: String
        var audiences: [String]
    }

    /// token -> what it was issued for.
    let tokens: [String: IssuedToken]
    /// `namespace/name` of the service accounts that exist.
    let serviceAccounts: Set<String>
    /// The bearer token meshd must present; anything else gets 401.
    let callerToken = "meshd-own-token"
    /// When set, every review is answered 403, as with a ClusterRole lacking `create tokenreviews`.
    let forbidden: Bool
    /// The TokenReview bodies received, in order.
    let requests = Mutex<[Data]>([])

    init(tokens: [String: IssuedToken], serviceAccounts: Set<String>, forbidden: Bool = false) {
        self.tokens = tokens
        self.serviceAccounts = serviceAccounts
        self.forbidden = forbidden
    }

    var requestCount: Int { requests.withLock { $0.count } }

    /// The last TokenReview received, parsed.
    var lastRequest: [String: Any]? {
        guard let data = requests.withLock({ $0.last }) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// Serves on 127.0.0.1 for the duration of `body`, which gets the server's base URL.
    /// Serves on a fresh ephemeral port for the duration of `body`. Each call has its own server and port,
    /// so tests sharing one stub can run in parallel.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let port = Mutex<Int?>(nil)
        let router = Router()
        router.post("/apis/authentication.k8s.io/v1/tokenreviews") { request, _ -> Response in
            let data = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            let authorization = request.headers[.authorization]
            return self.answer(data, authorization: authorization)
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: Self.quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var waited = 0
            while port.withLock({ $0 }) == nil && waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            defer { group.cancelAll() }
            guard let port = port.withLock({ $0 }) else { throw CancellationError() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    /// Cancelling the server at the end of a test is normal; don't log it as an error.
    static let quietLogger: Logger = {
        var logger = Logger(label: "stub-tokenreview")
        logger.logLevel = .critical
        return logger
    }()

    func answer(_ data: Data, authorization: String?) -> Response {
        guard authorization == "Bearer \(callerToken)" else { return json(401, Self.status(401, "Unauthorized")) }
        if forbidden {
            return json(
                403,
                Self.status(
                    403,
                    "tokenreviews.authentication.k8s.io is forbidden: User \"system:serviceaccount:istio-system:meshd\" cannot create resource \"tokenreviews\""
                ))
        }
        guard let review = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let spec = review["spec"] as? [String: Any], let token = spec["token"] as? String
        else { return json(400, Self.status(400, "malformed TokenReview")) }
        requests.withLock { $0.append(data) }
        let requested = spec["audiences"] as? [String] ?? []
        var status: [String: Any] = ["authenticated": false, "user": [String: Any]()]
        if let issued = tokens[token] {
            let common = issued.audiences.filter { requested.isEmpty || requested.contains($0) }
            if common.isEmpty {
                status["error"] =
                    "[invalid bearer token, token audiences \(issued.audiences) is invalid for the target audiences \(requested), unknown]"
            } else if !serviceAccounts.contains("\(issued.namespace)/\(issued.serviceAccount)") {
                status["error"] =
                    "[invalid bearer token, service account \(issued.namespace)/\(issued.serviceAccount) has been deleted, unknown]"
            } else {
                status = [
                    "authenticated": true,
                    "user": [
                        "username": "system:serviceaccount:\(issued.namespace):\(issued.serviceAccount)",
                        "uid": UUID().uuidString.lowercased(),
                        "groups": [
                            "system:serviceaccounts", "system:serviceaccounts:\(issued.namespace)",
                            "system:authenticated",
                        ],
                    ] as [String: Any],
                    "audiences": common,
                ]
            }
        } else {
            status["error"] = "[invalid bearer token, square/go-jose: error in cryptographic primitive, unknown]"
        }
        var body = review
        body["metadata"] = ["creationTimestamp": NSNull()]
        body["status"] = status
        return json(201, body)
    }

    static func status(_ code: Int, _ message: String) -> [String: Any] {
        [
            "kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure", "message": message,
            "reason": code == 403 ? "Forbidden" : "Unauthorized", "code": code,
        ]
    }

    func json(_ code: Int, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(
            status: .init(code: code), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
