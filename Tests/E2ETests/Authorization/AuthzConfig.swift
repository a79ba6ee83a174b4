import Foundation
import MeshTestSupport

/// One Istio security object as a user writes it: `kind`, namespace, name, optional annotations and the YAML of
/// its `spec` (indented under `spec:`).
struct PolicyDocument: Sendable, CustomStringConvertible {
    var kind: String
    var namespace: String
    var name: String
    var annotations: [String: String] = [:]
    /// The lines under `spec:`, without their two-space indent; "{}" for an empty spec.
    var spec: String

    /// `Kind/namespace/name`, as meshd's `/debug/configz` keys objects.
    var key: String { "\(kind)/\(namespace)/\(name)" }
    var description: String { key }

    var yaml: String {
        let annotationLines = annotations.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }
        let metadata =
            ["metadata:", "  name: \(name)", "  namespace: \(namespace)"]
            + (annotationLines.isEmpty ? [] : ["  annotations:"] + annotationLines)
        let specLines: [String]
        if spec.trimmingCharacters(in: .whitespacesAndNewlines) == "{}" {
            specLines = ["spec: {}"]
        } else {
            specLines = ["spec:"] + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }
        }
        return (["apiVersion: security.istio.io/v1", "kind: \(kind)"] + metadata + specLines).joined(separator: "\n")
    }

    static func authorizationPolicy(
        _ name: String, namespace: String, annotations: [String: String] = [:], spec: String
    ) -> PolicyDocument {
        PolicyDocument(
            kind: "AuthorizationPolicy", namespace: namespace, name: name, annotations: annotations, spec: spec)
    }

    static func requestAuthentication(_ name: String, namespace: String, spec: String) -> PolicyDocument {
        PolicyDocument(kind: "RequestAuthentication", namespace: namespace, name: name, spec: spec)
    }

    static func peerAuthentication(_ name: String, namespace: String, spec: String) -> PolicyDocument {
        PolicyDocument(kind: "PeerAuthentication", namespace: namespace, name: name, spec: spec)
    }

    /// A multi-document file, as kubectl writes one.
    static func file(_ documents: [PolicyDocument]) -> String {
        documents.map(\.yaml).joined(separator: "\n---\n") + "\n"
    }
}

/// The mesh of the authorization scenarios, as a user would keep it in files: Services and WorkloadEntries,
/// the ingress Gateway with its VirtualService, and the mesh config with the ext_authz extension provider.
enum AuthzConfig {
    static let httpbinVIP = "10.96.14.10"
    static let demoVIP = "10.96.14.11"
    static let extAuthzVIP = "10.96.14.12"
    static let httpPort = 8000
    static let tcpPort = 9000
    static let gatewayPort = 8080
    static let gatewayHost = "authz.example.com"
    static let httpbinHost = "httpbin.foo.svc.cluster.local"
    static let demoHost = "demo-app.foo.svc.cluster.local"
    static let extAuthzHost = "ext-authz.foo.svc.cluster.local"
    static let extAuthzProvider = "sample-ext-authz-http"

    static func service(_ name: String, namespace: String, vip: String, app: String, ports: [(String, Int)]) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: \(namespace)}
        spec:
          clusterIP: \(vip)
          selector: {app: \(app)}
          ports:
        \(ports.map { "  - {name: \($0.0), port: \($0.1), targetPort: \($0.1)}" }.joined(separator: "\n"))
        """
    }

    /// The Services, a WorkloadEntry per sidecar pod, and one for the ext_authz pod, which has no sidecar (no
    /// service account, so meshd sends it plaintext).
    static func workloads(sidecarPods: [Pod], extAuthz: Pod) -> String {
        let services = [
            service(
                "httpbin", namespace: "foo", vip: httpbinVIP, app: "httpbin",
                ports: [("http", httpPort), ("tcp-echo", tcpPort)]),
            service("demo-app", namespace: "foo", vip: demoVIP, app: "demo-app", ports: [("http", httpPort)]),
            service("ext-authz", namespace: "foo", vip: extAuthzVIP, app: "ext-authz", ports: [("http", httpPort)]),
        ]
        let extAuthzEntry = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: \(extAuthz.name), namespace: \(extAuthz.namespace)}
            spec:
              address: \(extAuthz.ip)
              labels: {app: ext-authz, sidecar.istio.io/inject: "false"}
            """
        return (services + sidecarPods.map(\.workloadEntryYAML) + [extAuthzEntry]).joined(separator: "\n---\n") + "\n"
    }

    /// An HTTP server on the ingress gateway for `authz.example.com`, routed to httpbin.
    static let gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: authz-gateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: \(gatewayPort), name: http, protocol: HTTP}
            hosts: [\(gatewayHost)]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: httpbin-ingress, namespace: foo}
        spec:
          hosts: [\(gatewayHost)]
          gateways: [istio-system/authz-gateway]
          http:
          - route: [{destination: {host: \(httpbinHost), port: {number: \(httpPort)}}}]

        """

    /// The mesh config (`meshd serve --mesh-config`): Istio's defaults, and the ext_authz HTTP provider the
    /// CUSTOM scenario names, which lets the `x-ext-authz` header through to the check and carries the
    /// service's verdict header on to the app.
    static let meshConfig = """
        rootNamespace: istio-system
        trustDomain: cluster.local
        extensionProviders:
        - name: \(extAuthzProvider)
          envoyExtAuthzHttp:
            service: \(extAuthzHost)
            port: \(httpPort)
            includeRequestHeadersInCheck: [x-ext-authz]
            headersToUpstreamOnAllow: [x-ext-authz-check-result]

        """
}
