import Foundation
import Logging
import MeshTestSupport
import Prometheus
import Registry
import Testing
import XDSServer

@testable import AdminServer
@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// The admin server's protection, against the real server on 127.0.0.1: a bearer token guards `/debug/*`,
/// probes stay open, and a non-loopback address without a token is refused before anything listens.
@Suite("Admin protection", .timeLimit(.minutes(1)))
struct AdminProtectionTests {
    static let token = "s3cret-token"

    @Test("with a token, /debug/* answers 401 without the bearer or with a wrong one, and 200 with it")
    func debugNeedsBearer() async throws {
        try await Self.withAdmin(token: Self.token) { port in
            for path in ["/debug/syncz", "/debug/configz", "/debug/changes", "/debug/nacks", "/"] {
                let anonymous = try await Self.get(port: port, path)
                #expect(anonymous.status == 401, "\(path) without Authorization: \(anonymous)")
                #expect(anonymous.body.contains("bearer token"), "\(path): \(anonymous.body)")
                #expect(
                    anonymous.headers.lowercased().contains("www-authenticate: bearer"), "\(path): \(anonymous.headers)"
                )
                #expect(
                    try await Self.get(port: port, path, bearer: "wrong").status == 401, "\(path) with a wrong token")
                #expect(
                    try await Self.get(port: port, path, authorization: Self.token).status == 401,
                    "\(path) without the Bearer scheme")
                let allowed = try await Self.get(port: port, path, bearer: Self.token)
                #expect(allowed.status == 200, "\(path) with the bearer: \(allowed)")
            }
            let syncz = try await Self.get(port: port, "/debug/syncz", bearer: Self.token)
            let proxies = try JSONSerialization.jsonObject(with: Data(syncz.body.utf8)) as? [Any]
            #expect(proxies?.isEmpty == true, "the bearer gets the real answer, with no proxy connected: \(syncz.body)")
        }
    }

    /// Every registered route, as a method and path, with a body for the POSTs.
    static let protectedRoutes: [(method: String, path: String)] = [
        ("GET", "/debug/configz"), ("GET", "/debug/registryz"), ("GET", "/debug/changes"),
        ("GET", "/debug/push_status"),
        ("GET", "/debug/syncz"), ("GET", "/debug/nacks"), ("GET", "/debug/connections"), ("GET", "/debug/config_dump"),
        ("POST", "/debug/diff"), ("POST", "/debug/ca/rotate-root"), ("GET", "/"),
    ]

    /// The spellings of one path that a router or a proxy in front of it may normalise to the same route.
    static func variants(of path: String) -> [String] {
        let tail = path.dropFirst()  // without the leading slash
        var variants = [
            "/\(path)", "//\(tail)", "/./\(tail)", "/debug/../\(tail)", "/x/../\(tail)", "\(path)/", "\(path)//",
            path.uppercased(), "/%64\(tail.dropFirst())", "/" + tail.replacingOccurrences(of: "/", with: "%2F"),
            path.replacingOccurrences(of: "/", with: "//"), path.replacingOccurrences(of: "/", with: "/./"),
            "/ready/../\(tail)", "/healthz/..\(path)", "/metrics/%2e%2e\(path)", "\(path)?x=/ready", "\(path)#/ready",
            "/\\\(tail)",
        ]
        if path == "/" { variants += ["//", "/./", "/.", "/%2F", "/ready/..", "/ready/../"] }
        return variants
    }

    @Test(
        "with a token, no spelling of a protected route answers without it: doubled slashes, dot segments, percent-escapes, case, trailing slashes"
    )
    func pathVariantsNeedBearer() async throws {
        try await Self.withAdmin(token: Self.token) { port in
            for route in Self.protectedRoutes {
                for variant in Self.variants(of: route.path) {
                    let answer = try await Self.request(port: port, method: route.method, variant, body: "{}")
                    #expect(answer.status == 401, "\(route.method) \(variant) without the token: \(answer)")
                }
            }
            // The attack that worked: a doubled slash reached the handler; with the token it still does.
            let withToken = try await Self.request(port: port, method: "GET", "//debug/configz", bearer: Self.token)
            #expect(withToken.status == 200, "GET //debug/configz with the token: \(withToken)")
        }
    }

    @Test("an unknown path needs the token too (deny by default), and public probes stay open in their exact spelling")
    func denyByDefault() async throws {
        try await Self.withAdmin(token: Self.token) { port in
            for path in ["/nope", "/debug/new-route", "/readyz", "/ready/x"] {
                let answer = try await Self.request(port: port, method: "GET", path)
                #expect(answer.status == 401, "\(path): \(answer)")
            }
            for path in ["/ready", "/healthz", "/version", "/metrics", "//ready"] {
                let answer = try await Self.request(port: port, method: "GET", path)
                #expect(answer.status == 200, "\(path): \(answer)")
            }
        }
    }

    @Test("with publicMetrics off, /metrics needs the token")
    func metricsCanBeProtected() async throws {
        try await Self.withAdmin(token: Self.token, publicMetrics: false) { port in
            let anonymous = try await Self.request(port: port, method: "GET", "/metrics")
            let withToken = try await Self.request(port: port, method: "GET", "/metrics", bearer: Self.token)
            let ready = try await Self.request(port: port, method: "GET", "/ready")
            #expect(anonymous.status == 401, "\(anonymous)")
            #expect(withToken.status == 200, "\(withToken)")
            #expect(ready.status == 200, "\(ready)")
        }
    }

    @Test("with a token, /ready, /healthz and /version stay open for probes")
    func probesStayOpen() async throws {
        try await Self.withAdmin(token: Self.token) { port in
            let ready = try await Self.get(port: port, "/ready")
            #expect(ready.status == 200 && ready.body == "ready\n", "\(ready)")
            #expect(try await Self.get(port: port, "/healthz").status == 200)
            #expect(try await Self.get(port: port, "/version").status == 200)
        }
    }

    @Test("without a token on loopback, /debug/syncz is open")
    func loopbackWithoutToken() async throws {
        try await Self.withAdmin(token: nil) { port in
            let syncz = try await Self.get(port: port, "/debug/syncz")
            #expect(syncz.status == 200, "\(syncz)")
        }
    }

    @Test("a non-loopback admin address without a token is refused at init", arguments: ["0.0.0.0", "10.44.0.1", "::"])
    func nonLoopbackNeedsToken(host: String) throws {
        let context = Self.context()
        for token in [nil, ""] as [String?] {
            #expect(throws: AdminConfigurationError.self, "\(host) with token \(token.debugDescription)") {
                try AdminServer(host: host, port: 15014, context: context, token: token, logger: Self.logger)
            }
        }
        do {
            _ = try AdminServer(host: host, port: 15014, context: context, token: nil, logger: Self.logger)
        } catch {
            #expect(error.reason.contains(host) && error.reason.contains("MESHD_ADMIN_TOKEN"), "\(error.reason)")
        }
        // With a token the same address is accepted.
        _ = try AdminServer(host: host, port: 15014, context: context, token: Self.token, logger: Self.logger)
    }

    @Test("loopback addresses need no token", arguments: ["127.0.0.1", "localhost", "::1"])
    func loopbackNeedsNoToken(host: String) throws {
        _ = try AdminServer(host: host, port: 15014, context: Self.context(), token: nil, logger: Self.logger)
    }

    // MARK: - Support

    static let logger = Logger(label: "admin-protection-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// An admin context built from real parts, as `meshd serve` builds it, with no proxy connected.
    static func context() -> AdminContext {
        let store = ConfigStore(logger: logger)
        let provider = MeshResourceProvider(snapshot: store.snapshot())
        let tracker = ChangeTracker()
        let ads = ADSServer(
            provider: provider, observer: XDSEventFanOut([provider.connected, tracker]), logger: logger)
        let readiness = Readiness()
        readiness.markConfigLoaded()
        readiness.markXDSListening()
        return AdminContext(
            store: store, provider: provider, ads: ads, readiness: readiness, tracker: tracker,
            metrics: PrometheusCollectorRegistry())
    }

    /// Runs a real admin server on a free 127.0.0.1 port for the duration of `body`.
    static func withAdmin(
        token: String?, publicMetrics: Bool = true, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let port = try ephemeralPort()
        let server = try AdminServer(
            host: "127.0.0.1", port: port, context: context(), token: token, publicMetrics: publicMetrics,
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            _ = try await Poll.until("the admin server on port \(port) to answer", timeout: .seconds(10)) {
                try await get(port: port, "/healthz").status == 200 ? true : nil
            }
            try await body(port)
        }
    }

    /// One answer: status, raw header block and body.
    struct Answer: CustomStringConvertible {
        var status: Int
        var headers: String
        var body: String
        var description: String { "HTTP \(status): \(body.prefix(200))" }
    }

    /// GETs `path` with curl (on a thread of its own), with `Authorization: Bearer <bearer>` or a raw `Authorization` value when given.
    static func get(
        port: Int, _ path: String, bearer: String? = nil, authorization: String? = nil
    ) async throws -> Answer {
        var argv = ["curl", "-sS", "-i", "--noproxy", "*", "--max-time", "5"]
        if let value = bearer.map({ "Bearer \($0)" }) ?? authorization { argv += ["-H", "Authorization: \(value)"] }
        // Off the cooperative pool: the server under test answers from it.
        let result = try await Subprocess.runInBackground(
            argv + ["http://127.0.0.1:\(port)\(path)"], timeout: .seconds(10))
        guard result.succeeded else { throw HarnessError("curl \(path) failed (\(result.status)): \(result.stderr)") }
        let normalized = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = normalized.components(separatedBy: "\n\n")
        let head = parts.first ?? ""
        let statusLine = head.split(separator: "\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Answer(status: status, headers: head, body: parts.dropFirst().joined(separator: "\n\n"))
    }

    /// Sends `method path` exactly as written (`--path-as-is`: curl would otherwise resolve dot segments itself).
    static func request(
        port: Int, method: String, _ path: String, bearer: String? = nil, body: String? = nil
    ) async throws -> Answer {
        var argv = ["curl", "-sS", "-i", "--noproxy", "*", "--max-time", "5", "--path-as-is", "-X", method]
        if let bearer { argv += ["-H", "Authorization: Bearer \(bearer)"] }
        if let body, method == "POST" { argv += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try await Subprocess.runInBackground(
            argv + ["http://127.0.0.1:\(port)\(path)"], timeout: .seconds(10))
        guard result.succeeded else {
            throw HarnessError("curl \(method) \(path) failed (\(result.status)): \(result.stderr)")
        }
        let normalized = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = normalized.components(separatedBy: "\n\n")
        let statusLine = (parts.first ?? "").split(separator: "\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Answer(status: status, headers: parts.first ?? "", body: parts.dropFirst().joined(separator: "\n\n"))
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func ephemeralPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot bind a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
