import Foundation
import MeshTestSupport
import Testing

@testable import Injection
@testable import meshd

/// The injected sidecar's warm-up, with the real Envoy and a real meshd: the readiness port answers 200 only once
/// Envoy holds its first config from meshd, and the postStart hold (for ordinary-container sidecars) waits for it.
@Suite(.tags(.envoy), .serialized) struct SidecarReadinessTests {
    /// The injected bootstrap for a meshd on `xdsPort`, with the readiness listener on `readinessPort` and Envoy's
    /// admin on `adminPort`. The bootstrap token is left out: the test's meshd trusts node metadata from 127.0.0.1.
    static func bootstrap(xdsPort: Int, readinessPort: Int, adminPort: Int) throws -> String {
        var settings = InjectSettings()
        settings.plaintext = true
        settings.meshdAddress = .tcp(host: "127.0.0.1", port: xdsPort)
        settings.readinessPort = readinessPort
        let template = try InjectBootstrap.template(labels: ["app": "reviews"], namespace: "default", settings: settings)
        let rendered = template
            .replacingOccurrences(of: "\"port_value\":\(InjectSettings.proxyAdminPort)", with: "\"port_value\":\(adminPort)")
            .replacingOccurrences(of: "__INSTANCE_IP__", with: "127.0.0.1")
            .replacingOccurrences(of: "__POD_NAME__", with: "reviews-v1-abcde")
            .replacingOccurrences(of: "__POD_NAMESPACE__", with: "default")
            .replacingOccurrences(of: "__SERVICE_ACCOUNT__", with: "bookinfo-reviews")
        guard var document = try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: Any],
            var dynamic = document["dynamic_resources"] as? [String: Any],
            var ads = dynamic["ads_config"] as? [String: Any],
            var services = ads["grpc_services"] as? [[String: Any]], !services.isEmpty
        else { throw HarnessError("the injected bootstrap has no ADS service") }
        services[0]["initial_metadata"] = nil
        ads["grpc_services"] = services
        dynamic["ads_config"] = ads
        document["dynamic_resources"] = dynamic
        return String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
    }

    static func readiness(_ port: Int) -> Int {
        (try? HTTPProbe.get("http://127.0.0.1:\(port)\(InjectBootstrap.readinessPath)", timeout: 2).status) ?? 0
    }

    @Test func theReadinessPortPassesOnlyOnceEnvoyHoldsMeshdsConfig() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-ready-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("config"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (xdsPort, readinessPort, adminPort, meshdAdminPort) = (
            try MeshdProcess.freeLocalPort(), try MeshdProcess.freeLocalPort(), try MeshdProcess.freeLocalPort(),
            try MeshdProcess.freeLocalPort()
        )
        let bootstrap = try Self.bootstrap(xdsPort: xdsPort, readinessPort: readinessPort, adminPort: adminPort)
        #expect(bootstrap.contains("\"initial_fetch_timeout\":\"0s\""))
        let envoy = try ManagedProcess.start(
            name: "envoy",
            argv: [
                try EnvoyBinary.path(), "--disable-hot-restart", "--log-level", "info", "--config-yaml", bootstrap,
            ], logFile: directory.appendingPathComponent("envoy.log"))
        defer { envoy.stop() }
        _ = try await Poll.until("Envoy's admin to answer", timeout: .seconds(30)) { () -> Bool? in
            try envoy.checkRunning()
            return (try? HTTPProbe.get("http://127.0.0.1:\(adminPort)/ready", timeout: 2).status) == 503 ? true : nil
        }
        // No meshd: Envoy waits for its first CDS and LDS (no initial fetch timeout), so the probe never passes.
        let waitScript = InjectBootstrap.waitUntilReady(port: readinessPort, attempts: 3)
        let held = try Subprocess.run(["/bin/bash", "-c", waitScript], timeout: .seconds(30))
        #expect(!held.succeeded, "the postStart hold let the application start without meshd's config")
        #expect(held.stderr.contains("was not ready after 3 attempts"))
        for _ in 0..<3 {
            #expect(Self.readiness(readinessPort) != 200, "ready without any config from meshd")
            try await Task.sleep(for: .seconds(1))
        }

        let meshd = try ManagedProcess.start(
            name: "meshd",
            argv: [
                try MeshdProcess.executable(), "serve", "--config-dir", directory.appendingPathComponent("config").path,
                "--xds-address", "127.0.0.1:\(xdsPort)", "--admin-address", "127.0.0.1:\(meshdAdminPort)",
                "--secure-xds-address", "", "--insecure-trust-node-metadata", "--state-dir",
                directory.appendingPathComponent("state").path,
            ], logFile: directory.appendingPathComponent("meshd.log"))
        defer { meshd.stop() }
        _ = try await Poll.until("the readiness port to pass", timeout: .seconds(60)) { () -> Bool? in
            try meshd.checkRunning()
            try envoy.checkRunning()
            return Self.readiness(readinessPort) == 200 ? true : nil
        }
        let ready = try Subprocess.run(
            ["/bin/bash", "-c", InjectBootstrap.waitUntilReady(port: readinessPort, attempts: 10)], timeout: .seconds(30))
        #expect(ready.succeeded, "the postStart hold did not see the ready proxy: \(ready.stderr)")
        // Envoy's /ready says LIVE now; the readiness port is that answer.
        let live = try HTTPProbe.get("http://127.0.0.1:\(readinessPort)\(InjectBootstrap.readinessPath)")
        #expect(live.body.contains("LIVE"))
    }
}
