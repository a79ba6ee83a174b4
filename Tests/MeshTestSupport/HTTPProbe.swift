import Foundation

/// One HTTP answer as curl saw it. `status` is 0 when no HTTP answer came back (connection refused, timeout).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }

    /// The body parsed as JSON, or a `HarnessError` quoting the start of the body.
    public func json() throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
        } catch {
            throw HarnessError("expected JSON (HTTP \(status)), got: \(body.prefix(300))")
        }
    }

    /// The body decoded as `T`, or a `HarnessError` quoting the start of the body.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.utf8))
        } catch {
            throw HarnessError("cannot decode \(T.self) from HTTP \(status): \(error); body: \(body.prefix(500))")
        }
    }
}

/// Plain HTTP GETs through curl, optionally from inside a network namespace (Envoy's admin listens on the pod's
/// own 127.0.0.1). curl is used rather than URLSession because it can be started inside a namespace.
public enum HTTPProbe {
    /// GETs `url`; inside the network namespace `netns` when given. Each call is bounded by `timeout`.
    public static func get(_ url: String, inNetns netns: String? = nil, timeout: Int = 5) throws -> HTTPResponse {
        let marker = "\n--meshd-http-status:"
        let curl = ["curl", "-sS", "--noproxy", "*", "--max-time", "\(timeout)", "-w", "\(marker)%{http_code}", url]
        let argv = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + curl
        let result = try Subprocess.run(argv, timeout: .seconds(timeout + 5))
        guard let range = result.stdout.range(of: marker, options: .backwards) else {
            throw HarnessError("curl \(url) printed no status (exit \(result.status)): \(result.stderr)")
        }
        let status = Int(result.stdout[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return HTTPResponse(status: status, body: String(result.stdout[..<range.lowerBound]))
    }
}
