import CertificateAuthority
import Foundation
import MeshTestSupport

/// A TLS client without a sidecar: Python's `ssl` in a pod's namespace opens TLS to `host:port` (which a STRICT
/// sidecar intercepts), optionally presenting a client certificate, sends one HTTP/1.1 GET and reports the
/// status line, or the error that ended the connection. The server's certificate is not verified: the probe
/// tests what the server accepts, not whom the client trusts.
struct TLSProbe {
    let pod: Pod
    /// Where the client's key and certificate are written (mode 0600), in the network's scratch directory.
    let directory: URL
    let host: String
    let port: Int

    struct Result: CustomStringConvertible {
        /// The HTTP status, nil when no HTTP answer came back (the handshake or the connection failed).
        var status: Int?
        var body: String
        var error: String
        var description: String {
            "status \(status.map(String.init) ?? "none"), error \"\(error)\", body \(body.prefix(300))"
        }
    }

    static let script = """
        import json, socket, ssl, sys
        host, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if cert:
            context.load_cert_chain(cert, key)
        result = {"status": None, "body": "", "error": ""}
        try:
            with socket.create_connection((host, port), timeout=3) as raw:
                with context.wrap_socket(raw) as tls:
                    tls.sendall(b"GET /refusal HTTP/1.1\\r\\nHost: httpbin\\r\\nConnection: close\\r\\n\\r\\n")
                    data = b""
                    while True:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        data += chunk
            text = data.decode("utf-8", "replace")
            if text.startswith("HTTP/"):
                result["status"] = int(text.split(" ", 2)[1])
                result["body"] = text.split("\\r\\n\\r\\n", 1)[-1]
            else:
                result["error"] = "no HTTP answer (%d bytes)" % len(data)
        except Exception as error:
            result["error"] = "%s: %s" % (type(error).__name__, error)
        print(json.dumps(result))
        """

    /// One GET presenting `certificate` (nil: no client certificate). `label` names the files.
    func get(presenting certificate: IssuedCertificate?, as label: String) throws -> Result {
        var certPath = ""
        var keyPath = ""
        if let certificate {
            certPath = directory.appendingPathComponent("probe-\(label)-cert.pem").path
            keyPath = directory.appendingPathComponent("probe-\(label)-key.pem").path
            try Self.writePrivate(certificate.certificateChainPEM, to: certPath)
            try Self.writePrivate(certificate.privateKeyPEM, to: keyPath)
        }
        let run = try pod.exec(
            ["python3", "-c", Self.script, host, "\(port)", certPath, keyPath], timeout: .seconds(15))
        guard run.succeeded,
            let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        else {
            throw HarnessError("TLS probe in \(pod.name) exited with \(run.status): \(run.stdout) \(run.stderr)")
        }
        return Result(
            status: object["status"] as? Int, body: object["body"] as? String ?? "",
            error: object["error"] as? String ?? "")
    }

    private static func writePrivate(_ text: String, to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }
}
