// How much LDS grows with AuthorizationPolicies, on a mesh of 1,000 services (10 namespaces) with 200 policies. This
// prints figures (a measurement, not a timing); it asserts only what a user would notice: policies that apply make
// LDS bigger, policies that do not apply leave it unchanged.

import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

@Suite("LDS size with authorization policies")
struct AuthorizationLDSSizeTests {
    static let services = 1_000
    static let namespaces = 10

    static var mesh: String {
        var documents: [String] = []
        for index in 0..<services {
            let namespace = "ns-\(index % namespaces)"
            documents.append(
                MeshYAML.service(
                    "svc-\(index)", namespace: namespace,
                    clusterIP: "10.96.\(index >> 8 & 0xff).\(index & 0xff)",
                    ports: [("http", 9080, nil), ("grpc-admin", 9090, nil)]))
            documents.append(
                MeshYAML.pod(
                    "svc-\(index)-0", namespace: namespace, ip: "10.64.\(index >> 8 & 0xff).\(index & 0xff)",
                    labels: ["app": "svc-\(index)"]))
        }
        return documents.joined(separator: "---\n")
    }

    /// One typical ALLOW policy: peers by principal and namespace, GET/POST under /api, a header condition.
    static func policy(_ name: String, namespace: String, app: String?) -> String {
        let selector = app.map { #", "selector": {"app": "\#($0)"}"# } ?? ""
        return #"""
            {"metadata": {"name": "\#(name)", "namespace": "\#(namespace)"}\#(selector), "rules": [{
              "from": [{"source": {"principals": ["cluster.local/ns/\#(namespace)/sa/client", "cluster.local/ns/ops/sa/probe"], "namespaces": ["\#(namespace)"]}}],
              "to": [{"operation": {"methods": ["GET", "POST"], "paths": ["/api/*"], "ports": ["9080"]}}],
              "when": [{"key": "request.headers[x-tenant]", "values": ["acme"]}]}]}
            """#
    }

    /// 200 policies: in each namespace 19 that select one app each and one namespace-wide.
    static var spread: String {
        var policies: [String] = []
        for namespace in 0..<namespaces {
            for app in 0..<19 {
                policies.append(
                    policy("p-\(app)", namespace: "ns-\(namespace)", app: "svc-\(app * namespaces + namespace)"))
            }
            policies.append(policy("ns-wide", namespace: "ns-\(namespace)", app: nil))
        }
        return #"{"authorizationPolicies": [\#(policies.joined(separator: ","))]}"#
    }

    /// 200 mesh-wide policies (root namespace, no selector): every proxy gets all of them, the worst case.
    static var meshWide: String {
        let policies = (0..<200).map { policy("mesh-\($0)", namespace: "istio-system", app: nil) }
        return #"{"authorizationPolicies": [\#(policies.joined(separator: ","))]}"#
    }

    static func ldsBytes(_ security: String, mesh: String) throws -> Int {
        let fixture = try MeshFixture(
            yaml: mesh, nodeID: sidecarID(ip: "10.64.0.0", pod: "svc-0-0", namespace: "ns-0"),
            metadata: ["NAMESPACE": "ns-0", "INSTANCE_IPS": "10.64.0.0"], labels: ["app": "svc-0"],
            identity: WorkloadIdentity(namespace: "ns-0", serviceAccount: "svc-0"),
            security: SecurityFixture.decode(Data(security.utf8)))
        return fixture.translator.generate(typeURL: TypeURL.listener, snapshot: fixture.snapshot, proxy: fixture.proxy)
            .reduce(0) { $0 + $1.resource.value.count }
    }

    @Test("LDS bytes of one sidecar: no policies, 200 spread over 10 namespaces, 200 mesh-wide")
    func ldsGrowth() throws {
        let mesh = Self.mesh
        let none = try Self.ldsBytes("{}", mesh: mesh)
        let spread = try Self.ldsBytes(Self.spread, mesh: mesh)
        let all = try Self.ldsBytes(Self.meshWide, mesh: mesh)
        let perPolicy = Double(all - none) / 200
        print(
            "LDS bytes per proxy, 1,000 services: no policies \(none); 200 policies spread (2 apply to this proxy) \(spread) (+\(spread - none)); 200 mesh-wide \(all) (+\(all - none), \(String(format: "%.0f", perPolicy)) bytes per applying policy)"
        )
        #expect(spread > none)
        #expect(all > spread)
        // A policy of another namespace or selecting another app changes nothing for this proxy.
        let elsewhere =
            #"{"authorizationPolicies": [\#(Self.policy("x", namespace: "ns-3", app: nil)), \#(Self.policy("y", namespace: "ns-0", app: "svc-10"))]}"#
        #expect(try Self.ldsBytes(elsewhere, mesh: mesh) == none)
    }
}
