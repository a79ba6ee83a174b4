import Foundation
import Injection
import MeshTestSupport
import Testing

/// `meshd serve --webhook-address`: the daemon serves the webhooks from its own CA, with the live config store
/// behind `/validate` and the injector config of `--injector-config` behind `/inject`.
@Suite(.serialized) struct ServeWebhookTests {
    @Test func serveAnswersAdmissionReviewsWithItsCAsCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("config"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let injector = directory.appendingPathComponent("injector.yaml")
        try "policy: disabled\nalwaysInjectSelector:\n- matchLabels: {mesh: always}\n".write(
            to: injector, atomically: true, encoding: .utf8)
        let (webhookPort, adminPort) = (try MeshdProcess.freeLocalPort(), try MeshdProcess.freeLocalPort())
        let state = directory.appendingPathComponent("state")
        let meshd = try ManagedProcess.start(
            name: "meshd",
            argv: [
                try MeshdProcess.executable(), "serve", "--config-dir", directory.appendingPathComponent("config").path,
                "--xds-address", "127.0.0.1:0", "--admin-address", "127.0.0.1:\(adminPort)", "--secure-xds-address", "",
                "--state-dir", state.path, "--webhook-address", "127.0.0.1:\(webhookPort)",
                "--injector-config", injector.path,
            ], logFile: directory.appendingPathComponent("meshd.log"))
        defer { meshd.stop() }
        let root = directory.appendingPathComponent("root-cert.pem")
        _ = try await Poll.until("meshd's root certificate", timeout: .seconds(30)) { () -> Bool? in
            try meshd.checkRunning()
            return FileManager.default.fileExists(atPath: state.appendingPathComponent("root-cert.pem").path) ? true : nil
        }
        let rootPEM = try String(contentsOf: state.appendingPathComponent("root-cert.pem"), encoding: .utf8)
        try rootPEM.write(to: root, atomically: true, encoding: .utf8)

        func post(_ path: String, _ review: String) throws -> JSONValue {
            let file = directory.appendingPathComponent("review.json")
            try review.write(to: file, atomically: true, encoding: .utf8)
            let result = try Subprocess.run(
                [
                    "curl", "-sS", "--fail", "--noproxy", "*", "--max-time", "10", "--cacert", root.path, "--resolve",
                    "istiod.istio-system.svc:\(webhookPort):127.0.0.1", "--data-binary", "@\(file.path)",
                    "https://istiod.istio-system.svc:\(webhookPort)\(path)",
                ], timeout: .seconds(20))
            guard result.succeeded else { throw HarnessError("curl \(path): \(result.stderr)") }
            return try JSONValue.decode(Data(result.stdout.utf8))
        }
        _ = try await Poll.until("the webhook port", timeout: .seconds(20)) { () -> Bool? in
            try meshd.checkRunning()
            return (try? HTTPProbe.get("http://127.0.0.1:\(adminPort)/ready").status) == 200 ? true : nil
        }
        let pod = { (labels: String) in
            """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-\(labels.count)",
             "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
             "namespace":"default","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"web","labels":{\(labels)}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}
            """
        }
        var injected: JSONValue?
        _ = try await Poll.until("the webhook to answer", timeout: .seconds(20)) { () -> Bool? in
            try meshd.checkRunning()
            injected = try? post("/inject", pod("\"mesh\":\"always\""))
            return injected != nil ? true : nil
        }
        // policy: disabled, but the pod matches alwaysInjectSelector: injected; a plain pod is not.
        #expect(injected?["response"]?["allowed"] == .bool(true))
        #expect(injected?["response"]?["patchType"]?.stringValue == "JSONPatch")
        let plain = try post("/inject", pod("\"app\":\"web\""))
        #expect(plain["response"]?["allowed"] == .bool(true))
        #expect(plain["response"]?["patch"] == nil)

        let refused = try post(
            "/validate",
            """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"v-1",
             "kind":{"group":"networking.istio.io","version":"v1","kind":"DestinationRule"},"namespace":"default",
             "operation":"CREATE","object":{"apiVersion":"networking.istio.io/v1","kind":"DestinationRule",
             "metadata":{"name":"r","namespace":"default"},"spec":{}}}}
            """)
        #expect(refused["response"]?["uid"]?.stringValue == "v-1")
        #expect(refused["response"]?["allowed"] == .bool(false))
        let message = refused["response"]?["status"]?["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("configuration is invalid: DestinationRule/default/r: spec.host"), "\(message)")

        // istiod's webhook metrics, on the admin port.
        let metrics = try HTTPProbe.get("http://127.0.0.1:\(adminPort)/metrics").body
        for line in [
            "sidecar_injection_requests_total 2", "sidecar_injection_success_total 1", "sidecar_injection_skip_total 1",
        ] {
            #expect(metrics.contains(line), "no \(line) in /metrics")
        }
        #expect(
            metrics.split(separator: "\n").contains {
                $0.hasPrefix("galley_validation_failed{") && $0.contains("resource=\"DestinationRule\"") && $0.hasSuffix(" 1")
            }, "no galley_validation_failed for the DestinationRule")
    }
}
