import Foundation
import MeshTestSupport

/// One HTTP request a test sends: method, path and headers (the Host comes from the target).
struct AuthzRequest: Sendable, Hashable, CustomStringConvertible {
    var method: String
    var path: String
    var headers: [String: String]

    init(_ method: String, _ path: String, headers: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.headers = headers
    }

    /// A GET.
    init(_ path: String, headers: [String: String] = [:]) {
        self.init("GET", path, headers: headers)
    }

    var description: String {
        let shown = headers.sorted { $0.key < $1.key }.map { name, value in
            "\(name): \(value.count > 24 ? String(value.prefix(20)) + "…" : value)"
        }
        return "\(method) \(path)" + (shown.isEmpty ? "" : " [\(shown.joined(separator: ", "))]")
    }
}

/// What came back for a batch of identical requests: each status (nil when no HTTP answer came, e.g. the
/// connection was reset), and the first answer complete.
struct AuthzOutcome: Sendable, CustomStringConvertible {
    struct Answer: Decodable, Sendable {
        var status: Int?
        var error: String
        var body: String
        var headers: [[String]]

        /// The `service` the echo backend answered as, when the body is its JSON.
        var echoService: String? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["service"] as? String
        }

        /// A request header as the echo backend received it.
        func echoedHeader(_ name: String) -> String? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let headers = object["headers"] as? [String: Any]
            else { return nil }
            return headers.first { $0.key.lowercased() == name.lowercased() }?.value as? String
        }
    }

    var answers: [Answer]

    /// Statuses as text ("200", "403", "none") with their counts.
    var statuses: [String: Int] {
        answers.reduce(into: [:]) { counts, answer in counts[answer.status.map(String.init) ?? "none", default: 0] += 1
        }
    }

    /// How many answers had `status`.
    func count(_ status: Int) -> Int { answers.filter { $0.status == status }.count }

    /// True when every answer had `status` (and there was at least one).
    func all(_ status: Int) -> Bool { !answers.isEmpty && answers.allSatisfy { $0.status == status } }

    var description: String {
        let first = answers.first.map { answer in
            "; first: status \(answer.status.map(String.init) ?? "none") \(answer.error) \(answer.body.prefix(160))"
        }
        return "\(answers.count) sent, statuses \(statuses.sorted { $0.key < $1.key })" + (first ?? "")
    }
}

/// An HTTP client run inside a pod (so its requests go through the pod's interception and sidecar, as an
/// app's would): `count` requests, each on a fresh connection, bounded per request and in total.
enum AuthzHTTPClient {
    static let script = #"""
        import http.client, json, sys, time
        spec = json.loads(sys.argv[1])
        answers = []
        start = time.monotonic()
        for _ in range(spec["count"]):
            if time.monotonic() - start > spec["max_seconds"]:
                break
            answer = {"status": None, "error": "", "body": "", "headers": []}
            connection = http.client.HTTPConnection(spec["address"], spec["port"], timeout=spec["timeout"])
            try:
                headers = dict(spec["headers"])
                headers["Host"] = spec["host"]
                connection.request(spec["method"], spec["path"], headers=headers)
                response = connection.getresponse()
                answer["status"] = response.status
                answer["headers"] = [[name.lower(), value] for name, value in response.getheaders()]
                answer["body"] = response.read().decode("utf-8", "replace")[:2000]
            except Exception as error:
                answer["error"] = "%s: %s" % (type(error).__name__, error)
            finally:
                connection.close()
            answers.append(answer)
        print(json.dumps(answers))
        """#

    /// Sends `request` `count` times from `pod` to `address:port` with Host `host`.
    static func send(
        _ request: AuthzRequest, from pod: Pod, address: String, port: Int, host: String, count: Int,
        timeout: Double = 3
    ) async throws -> AuthzOutcome {
        let spec: [String: Any] = [
            "address": address, "port": port, "host": host, "method": request.method, "path": request.path,
            "headers": request.headers, "count": count, "timeout": timeout,
            "max_seconds": Double(count) * (timeout + 1),
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let budget = Int(Double(count) * (timeout + 1)) + 15
        let result = try await pod.execInBackground(
            [AuthzScripts.python, "-c", script, json], timeout: .seconds(budget))
        guard result.succeeded else {
            throw HarnessError("HTTP client in \(pod.name) exited with \(result.status): \(result.stderr)")
        }
        do {
            let answers = try JSONDecoder().decode([AuthzOutcome.Answer].self, from: Data(result.stdout.utf8))
            return AuthzOutcome(answers: answers)
        } catch {
            throw HarnessError("HTTP client in \(pod.name) printed no answers (\(error)): \(result.stdout.prefix(300))")
        }
    }
}

/// Opaque TCP for the TCP policy: an echo server that sends back whatever it reads, and a client that writes a
/// payload and reads until it has it back, counting each connection as echoed, or refused or reset by the peer.
enum AuthzTCP {
    static let serverScript = #"""
        import socket, sys, threading
        def serve(connection):
            try:
                while True:
                    data = connection.recv(4096)
                    if not data:
                        break
                    connection.sendall(data)
            except OSError:
                pass
            finally:
                connection.close()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", int(sys.argv[1])))
        listener.listen(64)
        print("tcp echo listening", flush=True)
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()
        """#

    static let clientScript = #"""
        import json, socket, sys, time
        address, port, count, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        result = {"sent": 0, "echoed": 0, "outcomes": {}}
        start = time.monotonic()
        for index in range(count):
            if time.monotonic() - start > count * (timeout + 1):
                break
            result["sent"] += 1
            payload = ("meshd tcp authz probe %d\n" % index).encode()
            outcome = "echoed"
            try:
                with socket.create_connection((address, port), timeout=timeout) as connection:
                    connection.sendall(payload)
                    received = b""
                    while len(received) < len(payload):
                        chunk = connection.recv(4096)
                        if not chunk:
                            break
                        received += chunk
                    if received != payload:
                        outcome = "closed after %d bytes" % len(received)
            except socket.timeout:
                outcome = "timeout"
            except OSError as error:
                outcome = type(error).__name__
            if outcome == "echoed":
                result["echoed"] += 1
            result["outcomes"][outcome] = result["outcomes"].get(outcome, 0) + 1
        print(json.dumps(result))
        """#

    struct Summary: Decodable, Sendable, CustomStringConvertible {
        var sent: Int
        var echoed: Int
        /// "echoed", "closed after N bytes", "ConnectionResetError", "timeout", ... with counts.
        var outcomes: [String: Int]
        var description: String { "sent \(sent), echoed \(echoed), outcomes \(outcomes.sorted { $0.key < $1.key })" }
    }

    /// Starts the echo server in `pod` on `port` and waits (bounded) until it echoes locally.
    static func startServer(in pod: Pod, network: MeshNetwork, port: Int) async throws {
        let path = try AuthzScripts.install(serverScript, named: "tcp_echo_server.py", in: network)
        let process = try pod.start([AuthzScripts.python, "-u", path, "\(port)"], logName: "tcp-echo-\(port)")
        _ = try await Poll.until("TCP echo server on \(pod.name):\(port)", timeout: .seconds(10)) { () -> Bool? in
            try process.checkRunning()
            // 127.0.0.1 from a non-proxy uid is not intercepted: this reaches the server directly.
            return try await connect(from: pod, network: network, address: "127.0.0.1", port: port, count: 1).echoed
                == 1
                ? true : nil
        }
    }

    /// Opens `count` connections from `pod` to `address:port`, one after the other, each bounded by `timeout`.
    static func connect(
        from pod: Pod, network: MeshNetwork, address: String, port: Int, count: Int, timeout: Double = 3
    ) async throws -> Summary {
        let path = try AuthzScripts.install(clientScript, named: "tcp_echo_client.py", in: network)
        let result = try await pod.execInBackground(
            [AuthzScripts.python, path, address, "\(port)", "\(count)", "\(timeout)"],
            timeout: .seconds(Int(Double(count) * (timeout + 1)) + 15))
        guard result.succeeded else {
            throw HarnessError("TCP client in \(pod.name) exited with \(result.status): \(result.stderr)")
        }
        do {
            return try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
        } catch {
            throw HarnessError("TCP client in \(pod.name) printed no summary: \(result.stdout) \(result.stderr)")
        }
    }
}
