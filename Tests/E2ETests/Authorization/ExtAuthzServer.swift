import Foundation
import MeshTestSupport

/// A small external authorization service for Envoy's HTTP ext_authz (Istio's `envoyExtAuthzHttp` provider),
/// run inside a pod of the test network so that the pod Envoys can reach it through a Service.
///
/// Envoy sends it the request's method and path (with the provider's `pathPrefix`) and the headers the
/// provider lets through. It allows a request whose `x-ext-authz` header is `allow` (200, adding
/// `x-ext-authz-check-result: allowed`, which `headersToUpstreamOnAllow` can carry to the app) and denies any
/// other with 403 and the body `denied by ext_authz`. Decisions are counted; `GET /counts` on the pod's
/// 127.0.0.1:<countsPort> reads them without going through any proxy.
struct ExtAuthzServer: Sendable {
    let pod: Pod
    let port: Int
    let countsPort: Int

    struct Counts: Decodable, Sendable, CustomStringConvertible {
        var allowed: Int
        var denied: Int
        /// The paths checked, in order (at most the last 100).
        var paths: [String]
        var total: Int { allowed + denied }
        var description: String { "allowed \(allowed), denied \(denied), paths \(paths.suffix(10))" }
    }

    static let script = #"""
        import json, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        port, counts_port = int(sys.argv[1]), int(sys.argv[2])
        lock = threading.Lock()
        counts = {"allowed": 0, "denied": 0, "paths": []}

        class Check(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def decide(self):
                allowed = self.headers.get("x-ext-authz", "") == "allow"
                with lock:
                    counts["allowed" if allowed else "denied"] += 1
                    counts["paths"] = (counts["paths"] + [self.path])[-100:]
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                body = b"allowed by ext_authz" if allowed else b"denied by ext_authz"
                self.send_response(200 if allowed else 403)
                if allowed:
                    self.send_header("x-ext-authz-check-result", "allowed")
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = decide

            def log_message(self, format, *args):
                sys.stderr.write("check %s %s\n" % (self.command, self.path))

        class Counts(BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    body = json.dumps(counts).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        counter = ThreadingHTTPServer(("127.0.0.1", counts_port), Counts)
        threading.Thread(target=counter.serve_forever, daemon=True).start()
        print("ext_authz listening on", port, flush=True)
        ThreadingHTTPServer(("0.0.0.0", port), Check).serve_forever()
        """#

    /// Starts the service in `pod` on `0.0.0.0:<port>` and waits (bounded) until it answers locally.
    static func start(
        in pod: Pod, network: MeshNetwork, port: Int = 8000, countsPort: Int = 8001
    ) async throws
        -> ExtAuthzServer
    {
        let path = try AuthzScripts.install(script, named: "ext_authz_server.py", in: network)
        let process = try pod.start(
            [AuthzScripts.python, "-u", path, "\(port)", "\(countsPort)"], logName: "ext-authz")
        let server = ExtAuthzServer(pod: pod, port: port, countsPort: countsPort)
        _ = try await Poll.until("ext_authz server on \(pod.name):\(port)", timeout: .seconds(10)) { () -> Bool? in
            try process.checkRunning()
            _ = try server.counts()
            return true
        }
        return server
    }

    /// The decisions made so far.
    func counts() throws -> Counts {
        let response = try pod.localGet(port: countsPort, path: "/counts", timeout: 2)
        guard response.status == 200 else { throw HarnessError("ext_authz counts answered \(response.status)") }
        return try response.decode(Counts.self)
    }
}
