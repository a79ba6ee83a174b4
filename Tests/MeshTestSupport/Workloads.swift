import Foundation

/// The JSON the echo backend (`Scripts/testdata/echo_server.py`) answers with.
public struct EchoReply: Decodable, Sendable {
    public var service: String
    public var pod: String
    public var path: String
    public var method: String
    /// Request headers as the backend received them, names in lower case.
    public var headers: [String: String]
}

/// What the traffic client (`Scripts/testdata/load_client.py`) saw over one bounded burst of requests.
public struct TrafficSummary: Decodable, Sendable, CustomStringConvertible {
    public var sent: Int
    /// Answers that were 200 with an echo body.
    public var ok: Int
    /// Echo answers counted by the `service` and by the `pod` that served them.
    public var services: [String: Int]
    public var pods: [String: Int]
    /// Every HTTP status seen, as text ("200", "503"), with its count.
    public var statuses: [String: Int]
    /// Connection errors and bodies that were not echo JSON, with their counts.
    public var errors: [String: Int]
    public var elapsed: Double
    /// The first few echo answers, complete.
    public var samples: [EchoReply]
    /// With `trackHeader`: each change of that echoed request header, in order (the first answer included).
    public var headerChanges: [HeaderChange]?

    enum CodingKeys: String, CodingKey {
        case sent, ok, services, pods, statuses, errors, elapsed, samples
        case headerChanges = "header_changes"
    }

    /// The share of echo answers that `pod` served (0 when there were none).
    public func share(of pod: String) -> Double {
        ok == 0 ? 0 : Double(pods[pod, default: 0]) / Double(ok)
    }

    public var description: String {
        "sent \(sent), ok \(ok), pods \(pods.sorted { $0.key < $1.key }), statuses \(statuses), "
            + "errors \(errors), \(elapsed)s"
    }
}

/// The value of a tracked request header from one answer on, until the next change.
public struct HeaderChange: Decodable, Sendable, CustomStringConvertible {
    /// The index of the first request that saw `value`, and when it was sent (seconds into the burst).
    public var request: Int
    public var seconds: Double
    /// Nil when the echo server did not receive the header.
    public var value: String?

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        request = try container.decode(Int.self)
        seconds = try container.decode(Double.self)
        value = try container.decodeNil() ? nil : try container.decode(String.self)
    }

    public var description: String { "#\(request) at \(seconds)s: \(value ?? "(none)")" }
}

/// Where the Python workloads live and which interpreter runs them (the project's venv, else python3).
enum Workloads {
    static let directory = RepositoryPaths.root.appendingPathComponent("Scripts/testdata")
    static var python: String {
        FileManager.default.isExecutableFile(atPath: RepositoryPaths.venvPython)
            ? RepositoryPaths.venvPython : "python3"
    }
}

extension Pod {
    /// Starts the echo backend on `0.0.0.0:<port>` in this pod, answering as `service` from this pod, and
    /// waits (bounded) until it accepts connections.
    @discardableResult
    public func startEchoServer(service: String, port: Int = 9080) async throws -> ManagedProcess {
        let process = try start(
            [
                Workloads.python, Workloads.directory.appendingPathComponent("echo_server.py").path,
                "--service", service, "--pod", name, "--port", "\(port)",
            ], logName: "echo-\(port)")
        _ = try await Poll.until("echo server \(service) on \(name):\(port)", timeout: .seconds(10)) { () -> Bool? in
            try process.checkRunning()
            // 127.0.0.1 from a non-proxy uid is not intercepted, so this reaches the app directly.
            return try localGet(port: port, path: "/healthz", timeout: 2).status == 200 ? true : nil
        }
        return process
    }

    /// Sends at most `count` GET requests to `url` from inside this pod, within at most `maxSeconds`, and
    /// summarises where they landed. Every request is subject to the pod's interception, as an app's would be.
    ///
    /// `interval` paces the requests (seconds between starts); `trackHeader` reports each change of that request
    /// header as the echo backend received it (`TrafficSummary.headerChanges`).
    public func sendRequests(
        to url: String, host: String, headers: [String: String] = [:], count: Int, maxSeconds: Double = 20,
        perRequestTimeout: Double = 3, interval: Double = 0, trackHeader: String? = nil
    ) async throws -> TrafficSummary {
        var argv = [
            Workloads.python, Workloads.directory.appendingPathComponent("load_client.py").path,
            "--url", url, "--host", host, "--count", "\(count)", "--max-seconds", "\(maxSeconds)",
            "--timeout", "\(perRequestTimeout)",
        ]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { argv += ["--header", "\(name): \(value)"] }
        if interval > 0 { argv += ["--interval", "\(interval)"] }
        if let trackHeader { argv += ["--track-header", trackHeader] }
        let result = try await execInBackground(
            argv, timeout: .seconds(Int(maxSeconds + perRequestTimeout) + 10))
        guard result.succeeded else {
            throw HarnessError("traffic client in \(name) exited with \(result.status): \(result.stderr)")
        }
        do {
            return try JSONDecoder().decode(TrafficSummary.self, from: Data(result.stdout.utf8))
        } catch {
            throw HarnessError("traffic client in \(name) printed no summary: \(result.stdout) \(result.stderr)")
        }
    }
}
