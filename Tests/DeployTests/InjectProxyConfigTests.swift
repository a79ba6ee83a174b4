import Foundation
import MeshModel
import MeshTestSupport
import Testing
import Yams

@testable import Injection
@testable import meshd

/// `meshd inject` with ProxyConfigs and the mesh config's `defaultConfig`: the merged concurrency, image type and
/// environment variables reach the istio-proxy container; run through the real command.
@Suite struct InjectProxyConfigTests {
    static let proxyConfigs = """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: bookinfo-wide, namespace: bookinfo}
        spec:
          concurrency: 3
          environmentVariables: {ISTIO_META_NETWORK: vm-net, LOG_STYLE: json}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: ratings, namespace: bookinfo}
        spec:
          selector: {matchLabels: {app: ratings}}
          concurrency: 0
          image: {imageType: debug}
        """

    static let mesh = """
        defaultConfig:
          image: {imageType: distroless}
          proxyMetadata: {LOG_STYLE: text, MESH_WIDE: "yes"}
        """

    static func pod(_ name: String, app: String, namespace: String = "bookinfo") -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name), namespace: \(namespace), labels: {app: \(app)}}
        spec:
          containers: [{name: app, image: busybox:1.36}]
        """
    }

    func proxyContainer(_ document: Node) -> Node? {
        document["spec"]?["initContainers"]?.sequence?.first { $0["name"]?.string == "istio-proxy" }
    }

    func environment(_ container: Node) -> [String: String] {
        var result: [String: String] = [:]
        for entry in container["env"]?.sequence ?? [] {
            if let name = entry["name"]?.string, let value = entry["value"]?.string { result[name] = value }
        }
        return result
    }

    func inject(_ yaml: String, arguments: [String]) throws -> [Node] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inject-pc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("pods.yaml")
        try yaml.write(to: input, atomically: true, encoding: .utf8)
        try Self.proxyConfigs.write(
            to: directory.appendingPathComponent("proxyconfig.yaml"), atomically: true, encoding: .utf8)
        try Self.mesh.write(to: directory.appendingPathComponent("mesh.yaml"), atomically: true, encoding: .utf8)
        let argv =
            [try MeshdProcess.executable(), "inject", "-f", input.path]
            + arguments.map { $0.replacingOccurrences(of: "$DIR", with: directory.path) }
        let result = try Subprocess.run(argv, timeout: .seconds(30))
        guard result.succeeded else { throw HarnessError("meshd inject exited \(result.status): \(result.stderr)") }
        return Array(try Yams.compose_all(yaml: result.stdout))
    }

    @Test func concurrencyImageAndEnvironmentReachTheProxyContainer() throws {
        let output = try inject(
            [Self.pod("reviews-1", app: "reviews"), Self.pod("ratings-1", app: "ratings")].joined(separator: "\n---\n"),
            arguments: ["--proxy-config", "$DIR/proxyconfig.yaml", "--mesh-config", "$DIR/mesh.yaml"])
        #expect(output.count == 2)
        let reviews = try #require(proxyContainer(output[0]))
        let args = try #require(reviews["args"]?[0]?.string)
        #expect(args.contains("exec envoy "), "\(args)")
        #expect(args.contains(" --concurrency 3 "), "the namespace ProxyConfig's concurrency: \(args)")
        #expect(reviews["image"]?.string == "envoyproxy/envoy:v1.40.0-distroless", "the mesh default image type")
        let env = environment(reviews)
        #expect(env["LOG_STYLE"] == "json" && env["MESH_WIDE"] == "yes" && env["ISTIO_META_NETWORK"] == "vm-net")
        // ISTIO_META_* become node metadata, as istio-agent makes them.
        let template = try #require(env["MESHD_BOOTSTRAP_TEMPLATE"])
        let bootstrap = try #require(try JSONSerialization.jsonObject(with: Data(template.utf8)) as? [String: Any])
        let metadata = (bootstrap["node"] as? [String: Any])?["metadata"] as? [String: Any]
        #expect(metadata?["NETWORK"] as? String == "vm-net")
        #expect(metadata?["NAMESPACE"] as? String == "__POD_NAMESPACE__")

        let ratings = try #require(proxyContainer(output[1]))
        let ratingsArgs = try #require(ratings["args"]?[0]?.string)
        #expect(!ratingsArgs.contains("--concurrency"), "concurrency 0 lets Envoy decide: \(ratingsArgs)")
        #expect(ratings["image"]?.string == "envoyproxy/envoy:v1.40.0-debug", "the workload ProxyConfig's type")
    }

    @Test func withoutProxyConfigsIstiodsDefaultConcurrencyApplies() throws {
        let output = try inject(Self.pod("web-1", app: "web", namespace: "other"), arguments: [])
        let proxy = try #require(proxyContainer(output[0]))
        #expect(proxy["args"]?[0]?.string?.contains(" --concurrency 2 ") == true)
        #expect(proxy["image"]?.string == "envoyproxy/envoy:v1.40.0")
    }

    @Test func aBadProxyConfigStopsTheCommandNamingTheField() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inject-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.yaml")
        try """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: bad, namespace: bookinfo}
        spec: {concurrency: -1}
        """.write(to: bad, atomically: true, encoding: .utf8)
        let input = directory.appendingPathComponent("pod.yaml")
        try Self.pod("a", app: "a").write(to: input, atomically: true, encoding: .utf8)
        let result = try Subprocess.run(
            [try MeshdProcess.executable(), "inject", "-f", input.path, "--proxy-config", bad.path],
            timeout: .seconds(30))
        #expect(!result.succeeded)
        #expect(result.stderr.contains("ProxyConfig/bookinfo/bad") && result.stderr.contains("spec.concurrency"))
    }

    @Test func aProxyConfigMayNotReplaceMeshdsOwnVariables() throws {
        var settings = InjectSettings()
        let config = ProxyConfig(
            meta: ObjectMeta(name: "pc", namespace: "bookinfo"),
            settings: ProxySettings(environmentVariables: ["POD_NAME": "x"]))
        settings.mesh = MeshSnapshot.build(
            from: [ConfigObject(resource: .proxyConfig(config), source: SourceLocation(file: "f", document: 1))])
        #expect(throws: InjectError.self) {
            try SidecarInjector(settings: settings).inject(yaml: Self.pod("a", app: "a"))
        }
    }
}

/// `meshd bootstrap` with ProxyConfigs and `--auto-register-group`: the node metadata a VM's Envoy starts with.
@Suite struct BootstrapProxyConfigTests {
    @Test func proxyConfigMetadataAndTheGroupReachTheNode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bootstrap-pc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configs = directory.appendingPathComponent("pc.yaml")
        try InjectProxyConfigTests.proxyConfigs.write(to: configs, atomically: true, encoding: .utf8)
        let result = try Subprocess.run(
            [
                try MeshdProcess.executable(), "bootstrap", "--node-ip", "10.0.0.7", "--pod", "vm-1", "--namespace",
                "bookinfo", "--label", "app=reviews", "--proxy-config", configs.path, "--auto-register-group", "vms",
                "--metadata", "NETWORK=explicit",
            ], timeout: .seconds(30))
        #expect(result.succeeded, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let metadata = try #require((document["node"] as? [String: Any])?["metadata"] as? [String: Any])
        #expect(metadata["AUTO_REGISTER_GROUP"] as? String == "vms")
        #expect(metadata["NETWORK"] as? String == "explicit", "--metadata wins over ISTIO_META_NETWORK")
        #expect(metadata["NAMESPACE"] as? String == "bookinfo")
        #expect(result.stderr.contains("--concurrency 3"), "\(result.stderr)")

        let plain = try Subprocess.run(
            [
                try MeshdProcess.executable(), "bootstrap", "--node-ip", "10.0.0.8", "--pod", "a", "--namespace",
                "bookinfo", "--proxy-config", configs.path,
            ], timeout: .seconds(30))
        let node = (try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["node"]
        let plainMetadata = (node as? [String: Any])?["metadata"] as? [String: Any]
        #expect(plainMetadata?["NETWORK"] as? String == "vm-net", "ISTIO_META_NETWORK becomes NETWORK")
        #expect(plainMetadata?["AUTO_REGISTER_GROUP"] == nil)
    }
}
