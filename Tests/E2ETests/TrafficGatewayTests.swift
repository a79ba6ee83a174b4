import Foundation
import MeshTestSupport
import Testing

/// An ingress gateway through real Envoys: a router Envoy (`router~` node id, no interception) in `istio-system`,
/// two backends in `bookinfo` and a client pod outside the mesh. The client calls the gateway's pod address over
/// HTTPS with SNI and Host `bookinfo.example.com` (curl `--resolve`), verifying the gateway against a throwaway CA
/// made for the test; the gateway terminates TLS with the certificate of a `kubernetes.io/tls` Secret that meshd
/// delivers over SDS, and routes by host and path.
@Suite("Ingress gateway end to end (Gateway, TLS over SDS)", .serialized, .tags(.e2e))
struct TrafficGatewayTests {
    static let httpPort = 8080
    static let httpsPort = 8443

    @Test("HTTPS by host and path, MUTUAL for a second host, HTTP redirected; the certificate came over SDS")
    func ingressGatewayTerminatesTLSWithASecretFromSDS() async throws {
        try await MeshNetwork.with(label: "gateway") { network in
            let gateway = try network.addPod(
                name: "ingress", namespace: "istio-system", labels: ["istio": "ingressgateway"],
                serviceAccount: "istio-ingressgateway")
            let productpage = try network.addPod(
                name: "productpage", namespace: "bookinfo", labels: ["app": "productpage"])
            let reviews = try network.addPod(name: "reviews", namespace: "bookinfo", labels: ["app": "reviews"])
            let client = try network.addPod(name: "client", labels: ["app": "curl"])
            for pod in [gateway, productpage, reviews, client] { try pod.removeInterception() }
            let pki = try GatewayPKI(directory: network.scratchDirectory.appendingPathComponent("gateway-pki"))

            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "backends.yaml": Self.backends(productpage: productpage, reviews: reviews),
                    "gateway.yaml": Self.gatewayConfig,
                    "secrets.yaml": pki.secretsYAML(),
                ])
            try await productpage.startEchoServer(service: "productpage", port: 9080)
            try await reviews.startEchoServer(service: "reviews", port: 9080)
            let router = try gateway.startSidecar(
                bootstrapJSON: meshd.bootstrap(for: gateway, extraArguments: ["--type", "router"]))
            try await router.waitUntilReady()

            let curl = GatewayCurl(client: client, gatewayIP: gateway.ip, pki: pki)
            // The listener waits for its certificate over SDS; poll (bounded) until HTTPS answers.
            let first = try await Poll.until("HTTPS through the gateway", timeout: .seconds(20)) {
                let answer = try curl.get(host: "bookinfo.example.com", port: Self.httpsPort, path: "/productpage")
                return answer.status == 200 ? answer : nil
            }
            #expect(first.service == "productpage", "\(first)")

            // Routing by path on the same host.
            let byPath = try curl.get(host: "bookinfo.example.com", port: Self.httpsPort, path: "/reviews/1")
            #expect(byPath.status == 200 && byPath.service == "reviews", "\(byPath)")
            let other = try curl.get(host: "bookinfo.example.com", port: Self.httpsPort, path: "/anything")
            #expect(other.status == 200 && other.service == "productpage", "\(other)")

            // MUTUAL: admin.example.com needs a client certificate signed by the CA in the Secret's ca.crt.
            let refused = try curl.get(host: "admin.example.com", port: Self.httpsPort, path: "/")
            #expect(refused.status != 200, "no client certificate, yet: \(refused)")
            let admitted = try curl.get(
                host: "admin.example.com", port: Self.httpsPort, path: "/", clientCertificate: true)
            #expect(admitted.status == 200 && admitted.service == "reviews", "\(admitted)")
            #expect(
                admitted.echoHeader("x-forwarded-client-cert")?.contains("client.example.com") == true, "\(admitted)")

            // A host the gateway does not serve is not answered with its certificate (no SNI chain matches).
            let unknown = try curl.get(host: "unknown.example.com", port: Self.httpsPort, path: "/")
            #expect(unknown.status != 200, "\(unknown)")

            // httpsRedirect on the plain HTTP server.
            let redirect = try curl.get(
                host: "bookinfo.example.com", port: Self.httpPort, path: "/productpage", https: false)
            #expect(redirect.status == 301, "\(redirect)")
            #expect(redirect.location?.hasPrefix("https://bookinfo.example.com") == true, "\(redirect)")

            // A renewed certificate in the Secret reaches the running gateway over SDS (no restart).
            let before = try curl.servedSerial(host: "bookinfo.example.com", port: Self.httpsPort)
            #expect(before.hasPrefix("serial="), "no certificate served: \(before)")
            let renewed = try pki.renewed()
            try meshd.writeConfig("secrets.yaml", renewed.secretsYAML())
            let after = try await Poll.until("the renewed certificate to be served", timeout: .seconds(20)) {
                let serial = try curl.servedSerial(host: "bookinfo.example.com", port: Self.httpsPort)
                return serial.hasPrefix("serial=") && serial != before ? serial : nil
            }
            #expect(after != before)
            let afterRenewal = try curl.get(host: "bookinfo.example.com", port: Self.httpsPort, path: "/productpage")
            #expect(afterRenewal.status == 200 && afterRenewal.service == "productpage", "\(afterRenewal)")

            // The certificate came over SDS: Envoy holds dynamic secrets named as Istio names them, and its
            // listeners only reference them.
            let dump = try router.admin("/config_dump?include_eds")
            #expect(dump.status == 200)
            let sections = try Self.sections(of: dump.body)
            let secrets = try #require(sections["type.googleapis.com/envoy.admin.v3.SecretsConfigDump"])
            for name in [
                "kubernetes://bookinfo-credential", "kubernetes://admin-credential",
                "kubernetes://admin-credential-cacert",
            ] {
                #expect(secrets.contains("\"\(name)\""), "\(name) not among Envoy's SDS secrets")
            }
            #expect(secrets.contains("dynamic_active_secrets"))
            let listeners = try #require(sections["type.googleapis.com/envoy.admin.v3.ListenersConfigDump"])
            #expect(listeners.contains("\"kubernetes://bookinfo-credential\"") && listeners.contains("sds_config"))
            #expect(!listeners.contains(renewed.keyMarker) && !listeners.contains("PRIVATE KEY"), "key inlined in LDS")

            // meshd never shows the key: not in its proxy config dump, its configz, nor its log.
            let meshdDump = try meshd.admin("/debug/config_dump?proxyID=\(Self.percentEncoded(Self.routerID(gateway)))")
            #expect(meshdDump.status == 200, "\(meshdDump.body.prefix(300))")
            #expect(meshdDump.body.contains("kubernetes://bookinfo-credential"))
            let configz = try meshd.admin("/debug/configz")
            let log =
                (try? String(contentsOf: network.outputDirectory.appendingPathComponent("meshd.log"), encoding: .utf8))
                ?? ""
            for (what, text) in [("config_dump", meshdDump.body), ("configz", configz.body), ("meshd.log", log)] {
                #expect(
                    !text.contains(pki.keyMarker) && !text.contains(renewed.keyMarker),
                    "a private key appears in meshd's \(what)")
            }
        }
    }

    static func routerID(_ pod: Pod) -> String {
        "router~\(pod.ip)~\(pod.name).\(pod.namespace)~\(pod.namespace).svc.cluster.local"
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// The `configs` of Envoy's `/config_dump`, each re-serialised, by `@type`.
    static func sections(of body: String) throws -> [String: String] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let configs = object["configs"] as? [[String: Any]]
        else { throw HarnessError("config_dump is not an object with configs") }
        var result: [String: String] = [:]
        for config in configs {
            guard let type = config["@type"] as? String else { continue }
            let data = try JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])
            result[type] = String(decoding: data, as: UTF8.self)
        }
        return result
    }

    static func backends(productpage: Pod, reviews: Pod) -> String {
        var yaml = ""
        for (pod, address) in [(productpage, "10.96.0.90"), (reviews, "10.96.0.91")] {
            let app = pod.labels["app"] ?? pod.name
            yaml += """
                apiVersion: v1
                kind: Service
                metadata: {name: \(app), namespace: bookinfo}
                spec:
                  clusterIP: \(address)
                  selector: {app: \(app)}
                  ports: [{name: http, port: 9080, targetPort: 9080}]
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: \(pod.name), namespace: bookinfo}
                spec:
                  address: \(pod.ip)
                  labels: {app: \(app), sidecar.istio.io/inject: "false"}
                ---

                """
        }
        return yaml
    }

    static let gatewayConfig = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo-gateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: \(httpPort), name: http, protocol: HTTP}
            hosts: [bookinfo.example.com]
            tls: {httpsRedirect: true}
          - port: {number: \(httpsPort), name: https-bookinfo, protocol: HTTPS}
            hosts: [bookinfo/bookinfo.example.com]
            tls: {mode: SIMPLE, credentialName: bookinfo-credential, minProtocolVersion: TLSV1_2}
          - port: {number: \(httpsPort), name: https-admin, protocol: HTTPS}
            hosts: [admin.example.com]
            tls: {mode: MUTUAL, credentialName: admin-credential}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo, namespace: bookinfo}
        spec:
          hosts: [bookinfo.example.com]
          gateways: [istio-system/bookinfo-gateway]
          http:
          - match: [{uri: {prefix: /reviews}}]
            route: [{destination: {host: reviews}}]
          - route: [{destination: {host: productpage, port: {number: 9080}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: admin, namespace: istio-system}
        spec:
          hosts: [admin.example.com]
          gateways: [bookinfo-gateway]
          http:
          - route: [{destination: {host: reviews.bookinfo.svc.cluster.local}}]
        """
}

/// A throwaway CA, a server certificate for the gateway's hosts and a client certificate, made with openssl.
struct GatewayPKI {
    let directory: URL
    var caCertificate: URL { directory.appendingPathComponent("ca.crt") }
    var clientCertificate: URL { directory.appendingPathComponent("client.crt") }
    var clientKey: URL { directory.appendingPathComponent("client.key") }
    var serverCertificatePEM: String
    var serverKeyPEM: String
    let caPEM: String

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.openssl(
            ["req", "-x509"] + Self.curve + [
                "-keyout", directory.appendingPathComponent("ca.key").path, "-out",
                directory.appendingPathComponent("ca.crt").path, "-subj", "/CN=meshd gateway test CA", "-days", "1",
            ])
        caPEM = try String(contentsOf: directory.appendingPathComponent("ca.crt"), encoding: .utf8)
        (serverCertificatePEM, serverKeyPEM) = try Self.issue(
            in: directory, name: "server", subject: "/CN=bookinfo.example.com",
            san: "subjectAltName=DNS:bookinfo.example.com,DNS:admin.example.com")
        _ = try Self.issue(
            in: directory, name: "client", subject: "/CN=client.example.com",
            san: "subjectAltName=DNS:client.example.com")
    }

    static let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    static func openssl(_ arguments: [String]) throws {
        let result = try Subprocess.run(["openssl"] + arguments, timeout: .seconds(30))
        guard result.succeeded else { throw HarnessError("openssl \(arguments.first ?? "") failed: \(result.stderr)") }
    }

    /// A new key and a certificate signed by the test CA; returns the PEM certificate and key.
    static func issue(in directory: URL, name: String, subject: String, san: String) throws -> (String, String) {
        func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
        try openssl(["req"] + curve + ["-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
        try san.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("\(name).crt"), "-days", "1", "-extfile", path("\(name).ext"),
        ])
        return (
            try String(contentsOfFile: path("\(name).crt"), encoding: .utf8),
            try String(contentsOfFile: path("\(name).key"), encoding: .utf8)
        )
    }

    /// A second server certificate for the same hosts (a renewal).
    func renewed() throws -> GatewayPKI {
        var copy = self
        (copy.serverCertificatePEM, copy.serverKeyPEM) = try Self.issue(
            in: directory, name: "server-renewed", subject: "/CN=bookinfo.example.com",
            san: "subjectAltName=DNS:bookinfo.example.com,DNS:admin.example.com")
        return copy
    }

    /// A line from the middle of the server's private key: finding it anywhere means the key leaked.
    var keyMarker: String {
        let lines = serverKeyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        return String(lines.first ?? "")
    }

    /// `bookinfo-credential` (SIMPLE) and `admin-credential` (MUTUAL, with the client CA as `ca.crt`), in the
    /// gateway's namespace, as `kubectl create secret tls` writes them (base64 `data`).
    func secretsYAML() -> String {
        func encoded(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        return """
            apiVersion: v1
            kind: Secret
            metadata: {name: bookinfo-credential, namespace: istio-system}
            type: kubernetes.io/tls
            data:
              tls.crt: \(encoded(serverCertificatePEM))
              tls.key: \(encoded(serverKeyPEM))
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: admin-credential, namespace: istio-system}
            type: kubernetes.io/tls
            data:
              tls.crt: \(encoded(serverCertificatePEM))
              tls.key: \(encoded(serverKeyPEM))
              ca.crt: \(encoded(caPEM))
            """
    }
}

/// curl in the client pod, resolving the gateway's hosts to its pod address and trusting only the test CA.
struct GatewayCurl {
    let client: Pod
    let gatewayIP: String
    let pki: GatewayPKI

    struct Answer: CustomStringConvertible {
        var status: Int?
        var body: String
        var location: String?
        var error: String

        /// The `service` the echo backend answered as.
        var service: String? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
                return nil
            }
            return object["service"] as? String
        }

        /// A request header as the echo backend received it.
        func echoHeader(_ name: String) -> String? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let headers = object["headers"] as? [String: Any]
            else { return nil }
            return headers.first { $0.key.lowercased() == name }?.value as? String
        }

        var description: String {
            "status \(status.map(String.init) ?? "none"), error \"\(error)\", body \(body.prefix(300))"
        }
    }

    /// The serial number of the certificate the gateway presents for `host` (openssl s_client with SNI).
    func servedSerial(host: String, port: Int) throws -> String {
        let command =
            "openssl s_client -connect \(gatewayIP):\(port) -servername \(host) </dev/null 2>/dev/null"
            + " | openssl x509 -noout -serial"
        let result = try client.exec(["timeout", "5", "sh", "-c", command], timeout: .seconds(10))
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func get(
        host: String, port: Int, path: String, https: Bool = true, clientCertificate: Bool = false
    ) throws -> Answer {
        let scheme = https ? "https" : "http"
        var argv = [
            "curl", "-sS", "--max-time", "3", "--resolve", "\(host):\(port):\(gatewayIP)", "--cacert",
            pki.caCertificate.path, "-D", "-", "-w", "\n%{http_code}",
        ]
        if clientCertificate { argv += ["--cert", pki.clientCertificate.path, "--key", pki.clientKey.path] }
        argv.append("\(scheme)://\(host):\(port)\(path)")
        let result = try client.exec(argv, timeout: .seconds(10))
        var lines = result.stdout.components(separatedBy: "\n")
        let code = Int(lines.popLast() ?? "")
        let text = lines.joined(separator: "\n")
        let parts = text.components(separatedBy: "\r\n\r\n")
        let headers = parts.first ?? ""
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        let location = headers.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("location:") }
            .map { String($0.dropFirst("location:".count)).trimmingCharacters(in: .whitespaces) }
        return Answer(status: code == 0 ? nil : code, body: body, location: location, error: result.stderr)
    }
}
