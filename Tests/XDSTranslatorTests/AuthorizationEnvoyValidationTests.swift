// The real Envoy (1.40, `envoy --mode validate`) must accept every RBAC, jwt_authn and ext_authz config meshd
// generates: each security golden case's LDS and CDS go into a bootstrap as static resources (ADS declared for what
// they fetch), with every deprecated field fatal, and Envoy validates it. A broken control proves the check bites.

import EnvoyAPI
import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

@Suite("Envoy accepts the generated authorization config", .tags(.envoy, .root))
struct AuthorizationEnvoyValidationTests {
    /// The golden cases that carry AuthorizationPolicies or RequestAuthentications.
    static var securityCases: [GoldenCase] {
        GoldenCase.all.filter {
            FileManager.default.fileExists(atPath: $0.folder.appendingPathComponent("security.json").path)
        }
    }

    /// A bootstrap whose static resources are `listeners` and `clusters` (proto3 JSON arrays), plus the ADS cluster
    /// they refer to, under the runtime flag that refuses every deprecated field.
    static func bootstrap(listeners: String, clusters: String) -> String {
        let ads = """
            {"name": "xds-grpc", "type": "STATIC", "connect_timeout": "1s",
             "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
               "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
               "explicit_http_config": {"http2_protocol_options": {}}}},
             "load_assignment": {"cluster_name": "xds-grpc", "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
               {"socket_address": {"address": "127.0.0.1", "port_value": 15010}}}}]}]}}
            """
        let clusterList = clusters.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst().dropLast()
        let allClusters =
            clusterList.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "[\(ads)]" : "[\(ads),\(clusterList)]"
        return """
            {"node": {"id": "sidecar~10.0.0.1~validate.default~default.svc.cluster.local", "cluster": "validate"},
             "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
             "layered_runtime": {"layers": [{"name": "strict", "static_layer": {"envoy.features.fail_on_any_deprecated_feature": true}}]},
             "dynamic_resources": {"ads_config": {"api_type": "GRPC", "transport_api_version": "V3",
               "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}]}},
             "static_resources": {"listeners": \(listeners), "clusters": \(allClusters)}}
            """
    }

    static func validate(_ bootstrap: String) throws -> SubprocessResult {
        let envoy = try EnvoyBinary.path()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-authz-\(UUID().uuidString).json")
        try bootstrap.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try Subprocess.run(
            [envoy, "--mode", "validate", "-c", file.path, "--disable-hot-restart", "-l", "error"],
            timeout: .seconds(120))
    }

    @Test("every security golden case validates in Envoy 1.40", arguments: securityCases)
    func goldenCaseValidates(_ golden: GoldenCase) throws {
        // Every proxy of the case; at least one of them has authorization filters.
        var withRBAC = 0
        for (proxy, fixture) in try golden.fixtures() {
            let listeners = try ProtoJSON.render(fixture.messages(TypeURL.listener))
            let clusters = try ProtoJSON.render(fixture.messages(TypeURL.cluster))
            if listeners.contains("envoy.filters.http.rbac") || listeners.contains("envoy.filters.network.rbac") {
                withRBAC += 1
            }
            let result = try Self.validate(Self.bootstrap(listeners: listeners, clusters: clusters))
            #expect(result.succeeded, "Envoy refused \(golden.name) (\(proxy.name)):\n\(result.stdout)\(result.stderr)")
        }
        #expect(withRBAC > 0, "\(golden.name): no proxy of the case gets RBAC")
    }

    @Test("the check bites: Envoy refuses an RBAC filter with a broken regex")
    func brokenControlIsRefused() throws {
        let golden = try #require(Self.securityCases.first { $0.name == "authz-sidecar" })
        let fixture = try golden.fixture()
        let listeners = try ProtoJSON.render(fixture.messages(TypeURL.listener))
        let clusters = try ProtoJSON.render(fixture.messages(TypeURL.cluster))
        // `.*/ns/ops/.*` is a namespaces regex of that case; an unbalanced group is not RE2.
        let broken = listeners.replacingOccurrences(of: #".*/ns/ops/.*"#, with: #".*/ns/(ops/.*"#)
        try #require(broken != listeners, "the case no longer has the namespaces regex; update this control")
        let result = try Self.validate(Self.bootstrap(listeners: broken, clusters: clusters))
        #expect(!result.succeeded, "Envoy accepted an invalid regex, so the validation proves nothing")
    }
}
