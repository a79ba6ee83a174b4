import Foundation

/// One answer as the traffic client saw it, whatever its status (`load_client.py --capture`).
public struct CapturedResponse: Decodable, Sendable, CustomStringConvertible {
    public var status: Int
    /// Response header lines in order, names in lower case.
    public var headers: [[String]]
    /// The body as text (at most 4000 characters).
    public var body: String
    /// How long the request took, as the client measured it.
    public var seconds: Double

    /// Every value of the response header `name` (any case), in order.
    public func values(of name: String) -> [String] {
        headers.filter { $0.count == 2 && $0[0] == name.lowercased() }.map { $0[1] }
    }

    /// The first value of the response header `name`.
    public func header(_ name: String) -> String? { values(of: name).first }

    /// The body as the echo backend's answer, nil when it is not one (an Envoy 504, a redirect...).
    public var echo: EchoAnswer? { try? JSONDecoder().decode(EchoAnswer.self, from: Data(body.utf8)) }

    public var description: String {
        "HTTP \(status) after \(seconds)s, headers \(headers.map { "\($0.joined(separator: ": "))" }), body \(body.prefix(300))"
    }
}

/// The echo backend's answer with every request header line (`header_list`), so repeated headers show.
public struct EchoAnswer: Decodable, Sendable {
    public var service: String
    public var pod: String
    public var path: String
    public var method: String
    /// Request headers as the backend received them (the last line wins for a repeated name).
    public var headers: [String: String]
    /// Every request header line in order, names in lower case.
    public var headerList: [[String]]

    enum CodingKeys: String, CodingKey {
        case service, pod, path, method, headers
        case headerList = "header_list"
    }

    /// Every value of the request header `name` the backend received, in order.
    public func values(of name: String) -> [String] {
        headerList.filter { $0.count == 2 && $0[0] == name.lowercased() }.map { $0[1] }
    }
}

/// A bounded burst whose answers are captured complete (`load_client.py --capture`).
public struct CapturedTraffic: Decodable, Sendable, CustomStringConvertible {
    public var sent: Int
    public var ok: Int
    public var statuses: [String: Int]
    public var errors: [String: Int]
    public var elapsed: Double
    /// The first `capture` answers (empty when nothing was captured).
    public var responses: [CapturedResponse]

    enum CodingKeys: String, CodingKey { case sent, ok, statuses, errors, elapsed, responses }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sent = try container.decode(Int.self, forKey: .sent)
        ok = try container.decode(Int.self, forKey: .ok)
        statuses = try container.decode([String: Int].self, forKey: .statuses)
        errors = try container.decode([String: Int].self, forKey: .errors)
        elapsed = try container.decode(Double.self, forKey: .elapsed)
        responses = try container.decodeIfPresent([CapturedResponse].self, forKey: .responses) ?? []
    }

    public var description: String {
        "sent \(sent), ok \(ok), statuses \(statuses), errors \(errors), \(elapsed)s"
            + (responses.first.map { "; first: \($0)" } ?? "")
    }
}

/// Request headers that steer the echo backend (see `Scripts/testdata/echo_server.py`).
public enum EchoControl {
    /// Counts the request under `key` (readable with `Pod.echoCounts`).
    public static func key(_ key: String) -> [String: String] { ["x-echo-key": key] }

    /// The first `count` requests under the key answer `status`.
    public static func failFirst(_ count: Int, status: Int) -> [String: String] {
        ["x-echo-fail-first": "\(count)", "x-echo-fail-status": "\(status)"]
    }

    /// Waits `seconds` before answering; only for the first `first` requests under the key when given.
    public static func delay(_ seconds: Double, first: Int? = nil) -> [String: String] {
        var headers = ["x-echo-delay": "\(seconds)"]
        if let first { headers["x-echo-delay-first"] = "\(first)" }
        return headers
    }

    /// The backend adds these headers to its answer, in order (names and values must not contain ";").
    public static func responseHeaders(_ headers: [(String, String)]) -> [String: String] {
        ["x-echo-response-header": headers.map { "\($0.0): \($0.1)" }.joined(separator: "; ")]
    }
}

/// What an echo backend counted (`GET /__echo/counts`): requests by `x-echo-key`, and the last one of each key.
public struct EchoCounts: Decodable, Sendable, CustomStringConvertible {
    public var counts: [String: Int]
    public var last: [String: LastRequest]

    /// The path and header lines of the last request under a key.
    public struct LastRequest: Decodable, Sendable {
        public var path: String
        public var headerList: [[String]]

        enum CodingKeys: String, CodingKey {
            case path
            case headerList = "header_list"
        }

        /// Every value of the request header `name`, in order.
        public func values(of name: String) -> [String] {
            headerList.filter { $0.count == 2 && $0[0] == name.lowercased() }.map { $0[1] }
        }
    }

    public func count(_ key: String) -> Int { counts[key, default: 0] }

    public var description: String { "counts \(counts.sorted { $0.key < $1.key })" }
}

extension Pod {
    /// Sends at most `count` GET requests to `url` from inside this pod within at most `maxSeconds` (each
    /// bounded by `perRequestTimeout`) and returns the first `capture` answers complete, whatever their status.
    /// Redirects are not followed. `interval` paces the requests (seconds between two starts; 0: back to back).
    public func exchange(
        _ url: String, host: String, headers: [String: String] = [:], count: Int = 1, capture: Int = 1,
        maxSeconds: Double = 20, perRequestTimeout: Double = 5, interval: Double = 0
    ) async throws -> CapturedTraffic {
        var argv = [
            Workloads.python, Workloads.directory.appendingPathComponent("load_client.py").path,
            "--url", url, "--host", host, "--count", "\(count)", "--max-seconds", "\(maxSeconds)",
            "--timeout", "\(perRequestTimeout)", "--capture", "\(capture)",
        ]
        if interval > 0 { argv += ["--interval", "\(interval)"] }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { argv += ["--header", "\(name): \(value)"] }
        let result = try await execInBackground(argv, timeout: .seconds(Int(maxSeconds + perRequestTimeout) + 10))
        guard result.succeeded else {
            throw HarnessError("traffic client in \(name) exited with \(result.status): \(result.stderr)")
        }
        do {
            return try JSONDecoder().decode(CapturedTraffic.self, from: Data(result.stdout.utf8))
        } catch {
            throw HarnessError(
                "traffic client in \(name) printed no summary (\(error)): \(result.stdout) \(result.stderr)")
        }
    }

    /// The echo backend's request counts by `x-echo-key` (`GET /__echo/counts` on the pod's own 127.0.0.1,
    /// which is not intercepted).
    public func echoCounts(port: Int) throws -> EchoCounts {
        let response = try localGet(port: port, path: "/__echo/counts")
        guard response.status == 200 else {
            throw HarnessError(
                "echo counts on \(name):\(port) answered \(response.status): \(response.body.prefix(200))")
        }
        return try response.decode(EchoCounts.self)
    }
}
