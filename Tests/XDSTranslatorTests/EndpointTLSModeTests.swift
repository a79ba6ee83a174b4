import EnvoyAPI
import MeshModel
import Testing
import XDSTranslator

/// Auto-mTLS follows each endpoint's TLS mode as istiod derives it: the label `security.istio.io/tlsMode` wins;
/// without it a WorkloadEntry (or ServiceEntry inline endpoint) with a service account is `istio`, one without is
/// disabled, and a Pod (directly or through an EndpointSlice) is disabled unless the injector labelled it.
@Suite("Endpoint TLS mode (auto-mTLS)")
struct EndpointTLSModeTests {
    /// A client with an identity, and one service per case, each with one endpoint described by `workload`.
    static func clusterUsesMutualTLS(_ workload: String, service: String = "backend") throws -> Bool {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: \(service), namespace: default}
            spec:
              clusterIP: 10.96.0.50
              selector: {app: \(service)}
              ports: [{name: http, port: 8080}]
            ---
            \(workload)
            """
        let fixture = try MeshFixture(
            yaml: yaml, nodeID: sidecarID(ip: "10.9.0.1", pod: "client"),
            identity: WorkloadIdentity(namespace: "default", serviceAccount: "client"))
        let name = "outbound|8080||\(service).default.svc.cluster.local"
        let clusters = fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)
        let cluster = try #require(clusters[name], "no cluster \(name) in \(clusters.keys.sorted())")
        return cluster.hasTransportSocket
    }

    static func workloadEntry(serviceAccount: String?, tlsMode: String?) -> String {
        var labels = "app: backend"
        if let tlsMode { labels += ", security.istio.io/tlsMode: \(tlsMode)" }
        return """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm, namespace: default}
            spec: {address: 10.5.0.9, \(serviceAccount.map { "serviceAccount: \($0), " } ?? "")labels: {\(labels)}}
            """
    }

    static func pod(tlsMode: String?) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: backend-0, namespace: default, labels: {app: backend\(tlsMode.map { ", security.istio.io/tlsMode: \($0)" } ?? "")}}
        spec: {serviceAccountName: backend}
        status: {podIP: 10.5.0.10}
        """
    }

    @Test func workloadEntries() throws {
        #expect(
            try Self.clusterUsesMutualTLS(Self.workloadEntry(serviceAccount: "vm", tlsMode: nil)),
            "a service account means istio")
        #expect(
            !(try Self.clusterUsesMutualTLS(Self.workloadEntry(serviceAccount: nil, tlsMode: nil))),
            "no service account: disabled")
        #expect(
            !(try Self.clusterUsesMutualTLS(Self.workloadEntry(serviceAccount: "vm", tlsMode: "disabled"))),
            "the label wins")
        #expect(
            try Self.clusterUsesMutualTLS(Self.workloadEntry(serviceAccount: nil, tlsMode: "istio")), "the label wins")
    }

    @Test func pods() throws {
        #expect(
            !(try Self.clusterUsesMutualTLS(Self.pod(tlsMode: nil))), "a pod the injector did not label has no sidecar")
        #expect(try Self.clusterUsesMutualTLS(Self.pod(tlsMode: "istio")))
        #expect(!(try Self.clusterUsesMutualTLS(Self.pod(tlsMode: "disabled"))))
    }

    @Test func endpointSlicesTakeTheTargetPodsMode() throws {
        for (tlsMode, expected) in [("istio", true), (nil, false)] as [(String?, Bool)] {
            let slice = """
                \(Self.pod(tlsMode: tlsMode))
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: backend-abc, namespace: default, labels: {kubernetes.io/service-name: backend}}
                addressType: IPv4
                ports: [{name: http, port: 8080}]
                endpoints:
                - addresses: [10.5.0.10]
                  conditions: {ready: true}
                  targetRef: {kind: Pod, name: backend-0, namespace: default}
                """
            #expect(try Self.clusterUsesMutualTLS(slice) == expected, "tlsMode \(tlsMode ?? "absent")")
        }
    }

    @Test func serviceEntryInlineEndpoints() throws {
        func entry(_ endpoint: String) throws -> Bool {
            let yaml = """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: vms, namespace: default}
                spec:
                  hosts: [vms.example.internal]
                  location: MESH_INTERNAL
                  resolution: STATIC
                  ports: [{name: http, number: 8080, protocol: HTTP}]
                  endpoints: [\(endpoint)]
                """
            let fixture = try MeshFixture(
                yaml: yaml, nodeID: sidecarID(ip: "10.9.0.1", pod: "client"),
                identity: WorkloadIdentity(namespace: "default", serviceAccount: "client"))
            let clusters = fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)
            let cluster = try #require(clusters["outbound|8080||vms.example.internal"], "\(clusters.keys.sorted())")
            return cluster.hasTransportSocket
        }
        #expect(try entry("{address: 10.6.0.1, serviceAccount: vm}"), "a service account means istio")
        #expect(!(try entry("{address: 10.6.0.1}")))
        #expect(!(try entry("{address: 10.6.0.1, serviceAccount: vm, labels: {security.istio.io/tlsMode: disabled}}")))
        #expect(try entry("{address: 10.6.0.1, labels: {security.istio.io/tlsMode: istio}}"))
    }
}
