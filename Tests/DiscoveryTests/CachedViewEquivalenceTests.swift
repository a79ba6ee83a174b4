// Focused cases of the shared-config cache: two pods of one workload share generated config only when nothing the
// translator reads tells them apart. The general property (served through the cache equals a fresh translation, for
// every golden case and many proxy variants) is ServedEqualsFreshPropertyTests.

import EnvoyAPI
import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSServer
import XDSTranslator

@testable import Discovery

@Suite("Shared-config cache serves what a fresh translation gives")
struct CachedViewEquivalenceTests {
    @Test func twoPodsUnderASidecarWithAWorkloadIngressEachGetTheirOwnInboundCluster() async throws {
        let (snapshot, _) = try GoldenMesh(name: "sidecar-ingress-workload").load()
        let provider = MeshResourceProvider(snapshot: snapshot)
        for ip in ["10.7.0.11", "10.7.0.12"] {
            let proxy = try Proxy(
                nodeID: "sidecar~\(ip)~ledger-\(ip).bank~bank.svc.cluster.local", metadata: [:],
                labels: ["app": "ledger"])
            let clusters = await provider.resources(.cluster, for: ProxyClient(proxy: proxy)).resources
            let inbound = try #require(clusters.first { $0.name == "inbound|9080||" })
            let cluster = try Envoy_Config_Cluster_V3_Cluster(unpackingAny: inbound.resource)
            let address = cluster.loadAssignment.endpoints.first?.lbEndpoints.first?.endpoint.address.socketAddress
            #expect(address?.address == ip, "the inbound cluster of the pod at \(ip) sends to its own address")
            #expect(address?.portValue == 8080)
        }
    }

    @Test func podsOfOneWorkloadStillShareCDSWhenNothingReadsTheirAddress() async throws {
        let golden = GoldenMesh(name: "sidecar-ingress-workload")
        let yaml = try String(contentsOf: golden.folder.appendingPathComponent("input.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "0.0.0.0:8080", with: "127.0.0.1:8080")
            .replacingOccurrences(of: "[::]:8443", with: "[::1]:8443")
        let fixed = MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "fixed.yaml").objects)
        let (workload, _) = try golden.load()
        for (snapshot, shared) in [(fixed, true), (workload, false)] {
            let provider = MeshResourceProvider(snapshot: snapshot)
            var generated: [Int] = []
            for ip in ["10.7.0.11", "10.7.0.12"] {
                let proxy = try Proxy(
                    nodeID: "sidecar~\(ip)~ledger-\(ip).bank~bank.svc.cluster.local", metadata: [:],
                    labels: ["app": "ledger"])
                _ = await provider.resources(.cluster, for: ProxyClient(proxy: proxy))
                generated.append(provider.cachedSets)
            }
            #expect(
                (generated[0] == generated[1]) == shared,
                "two pods under one Sidecar share CDS only when it does not read their IP")
        }
    }
}

/// The EDS fast path rule: auto-mTLS in CDS reads each endpoint's TLS mode, so a change of it is never endpoint-only.
@Suite struct EndpointTLSModeFastPathTests {
    static func mesh(tlsMode: String?, serviceAccount: String? = "vm") -> MeshSnapshot {
        let labels = "app: legacy" + (tlsMode.map { ", security.istio.io/tlsMode: \($0)" } ?? "")
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: legacy, namespace: default}
            spec: {clusterIP: 10.96.0.95, selector: {app: legacy}, ports: [{name: http, port: 9080}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm, namespace: default}
            spec: {address: 10.5.0.9, \(serviceAccount.map { "serviceAccount: \($0), " } ?? "")labels: {\(labels)}}
            """
        return MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
    }

    @Test func aTLSModeChangeIsAFullPush() {
        func clustersAffected(_ old: MeshSnapshot, _ new: MeshSnapshot) -> Bool {
            MeshResourceProvider(snapshot: old).affectedTypes(by: ChangeSet(from: old, to: new), to: new).contains(
                .cluster)
        }
        #expect(clustersAffected(Self.mesh(tlsMode: nil), Self.mesh(tlsMode: "disabled")))
        #expect(clustersAffected(Self.mesh(tlsMode: "disabled"), Self.mesh(tlsMode: "istio")))
        #expect(clustersAffected(Self.mesh(tlsMode: nil), Self.mesh(tlsMode: nil, serviceAccount: nil)))
        #expect(!clustersAffected(Self.mesh(tlsMode: "istio"), Self.mesh(tlsMode: "istio")))
    }
}
