import Foundation
import MeshTestSupport
import Testing

/// `meshd bootstrap --envoy-filters`: EnvoyFilter BOOTSTRAP patches that select the proxy are merged into the
/// bootstrap it prints, others are not, the real Envoy accepts the result, and an invalid EnvoyFilter stops the
/// command with its field path (the built `meshd` executable, as a user runs it).
@Suite("meshd bootstrap --envoy-filters", .tags(.envoy))
struct BootstrapEnvoyFilterCommandTests {
    static let base = [
        "bootstrap", "--node-ip", "10.44.0.21", "--pod", "reviews-v1", "--namespace", "default",
        "--service-account", "reviews", "--label", "app=reviews", "--xds-address", "127.0.0.1:15010",
    ]

    static func filter(_ name: String, selector: String, value: String, operation: String = "MERGE") -> String {
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: \(name), namespace: default}
        spec:
          workloadSelector: {labels: {app: \(selector)}}
          configPatches:
          - applyTo: BOOTSTRAP
            patch:
              operation: \(operation)
              value: \(value)
        """
    }

    static func directory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-bootstrap-filters-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("the selecting filter's MERGE lands in the bootstrap, Envoy validates it, another workload's does not")
    func merged() throws {
        let directory = try Self.directory([
            "tags.yaml": Self.filter(
                "tags", selector: "reviews",
                value:
                    "{stats_config: {stats_tags: [{tag_name: mesh, fixed_value: meshd}]}, admin: {profile_path: /tmp/meshd-prof}}"
            ),
            "other.yaml": Self.filter(
                "other", selector: "ratings", value: "{stats_config: {stats_tags: [{tag_name: other, fixed_value: x}]}}"
            ),
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Subprocess.run(
            [try MeshdProcess.executable()] + Self.base + ["--envoy-filters", directory.path], timeout: .seconds(30))
        #expect(result.succeeded, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tags = (json["stats_config"] as? [String: Any])?["stats_tags"] as? [[String: Any]] ?? []
        #expect(tags.compactMap { $0["tag_name"] as? String } == ["mesh"], "\(tags)")
        let admin = json["admin"] as? [String: Any]
        #expect(admin?["profile_path"] as? String == "/tmp/meshd-prof")
        #expect(admin?["address"] != nil, "what the patch does not set stays as generated")

        let validated = try Subprocess.run(
            [try EnvoyBinary.path(), "--mode", "validate", "--config-yaml", result.stdout], timeout: .seconds(60))
        #expect(validated.succeeded, "envoy --mode validate refused the patched bootstrap:\n\(validated.stderr)")

        let plain = try Subprocess.run([try MeshdProcess.executable()] + Self.base, timeout: .seconds(30))
        #expect(!plain.stdout.contains("stats_tags"), "without --envoy-filters nothing is merged")
    }

    @Test("an invalid EnvoyFilter among them stops the command with its file, field path and reason")
    func invalid() throws {
        let directory = try Self.directory([
            "bad.yaml": Self.filter("bad", selector: "reviews", value: "{}", operation: "MERG")
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Subprocess.run(
            [try MeshdProcess.executable()] + Self.base + ["--envoy-filters", directory.path], timeout: .seconds(30))
        #expect(!result.succeeded)
        #expect(result.stderr.contains("bad.yaml"), "\(result.stderr)")
        #expect(
            result.stderr.contains("spec.configPatches[0].patch.operation: unknown operation \"MERG\""),
            "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("meshd inject --envoy-filters: each workload's bootstrap template gets the patches that select it")
    func inject() throws {
        let directory = try Self.directory([
            "tags.yaml": Self.filter(
                "tags", selector: "reviews",
                value: "{stats_config: {stats_tags: [{tag_name: mesh, fixed_value: reviews-only-tag}]}}"),
            "other.yaml": Self.filter(
                "other", selector: "ratings",
                value: "{stats_config: {stats_tags: [{tag_name: mesh, fixed_value: ratings-only-tag}]}}"),
            "pods.yaml.in": """
                apiVersion: v1
                kind: Pod
                metadata: {name: reviews-v1, namespace: default, labels: {app: reviews}}
                spec:
                  containers: [{name: app, image: reviews:v1}]
                """,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let pods = directory.appendingPathComponent("pods.yaml.in").path
        let result = try Subprocess.run(
            [
                try MeshdProcess.executable(), "inject", "-f", pods, "--envoy-filters",
                directory.appendingPathComponent("tags.yaml").path, "--envoy-filters",
                directory.appendingPathComponent("other.yaml").path,
            ], timeout: .seconds(30))
        #expect(result.succeeded, "\(result.stderr)")
        #expect(result.stdout.contains("reviews-only-tag"), "the selecting filter's patch is in the template")
        #expect(!result.stdout.contains("ratings-only-tag"), "another workload's is not")
        let plain = try Subprocess.run(
            [try MeshdProcess.executable(), "inject", "-f", pods], timeout: .seconds(30))
        #expect(plain.succeeded && !plain.stdout.contains("stats_tags"), "without --envoy-filters nothing is merged")
    }
}
