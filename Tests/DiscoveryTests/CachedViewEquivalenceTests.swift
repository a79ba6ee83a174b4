// The property behind the shared-config cache: whatever proxy asks, what MeshResourceProvider serves it through the
// cache (keyed by `ProxyView`) is exactly what a fresh, uncached translation gives that proxy. A view that misses an
// input the translator reads makes two proxies share a key with different output, and the second is served the
// first one's config; this test finds such a pair among the golden meshes and many proxy variants.

import Foundation
@testable import Discovery
import EnvoyAPI
import MeshModel
import MeshTestSupport
import Testing
import XDSServer
import XDSTranslator

/// One mesh of Tests/XDSTranslatorTests/Golden with the proxy its `proxy.json` describes.
struct GoldenMesh: CustomTestStringConvertible, Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("XDSTranslatorTests/Golden")

    static var all: [GoldenMesh] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map(GoldenMesh.init).filter {
            FileManager.default.fileExists(atPath: $0.folder.appendingPathComponent("input.yaml").path)
        }
    }

    let name: String
    var testDescription: String { name }
    var folder: URL { Self.directory.appendingPathComponent(name) }

    private struct ProxyFile: Decodable {
        struct Identity: Decodable {
            var namespace: String
            var serviceAccount: String
        }
        var id: String
        var metadata: [String: String]?
        var labels: [String: String]?
        var identity: Identity?
    }

    func load() throws -> (snapshot: MeshSnapshot, proxy: Proxy) {
        let yaml = try String(contentsOf: folder.appendingPathComponent("input.yaml"), encoding: .utf8)
        let decoded = ConfigDecoder.decode(yaml: yaml, file: "\(name)/input.yaml")
        #expect(decoded.errors.isEmpty, "decode errors in \(name): \(decoded.errors)")
        let file = try JSONDecoder().decode(
            ProxyFile.self, from: Data(contentsOf: folder.appendingPathComponent("proxy.json")))
        var proxy = try Proxy(nodeID: file.id, metadata: file.metadata ?? [:], labels: file.labels ?? [:])
        proxy.workloadIdentity = file.identity.map {
            WorkloadIdentity(namespace: $0.namespace, serviceAccount: $0.serviceAccount)
        }
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        // AuthorizationPolicies, RequestAuthentications and the mesh config of the security cases.
        let security = folder.appendingPathComponent("security.json")
        if FileManager.default.fileExists(atPath: security.path) {
            try SecurityFixture.decode(Data(contentsOf: security)).apply(to: &snapshot)
        }
        return (snapshot, proxy)
    }
}

/// Proxies that differ from a golden case's proxy in one or two of the facts the translator could read: IPs (each
/// workload's, an unknown one, several in both orders), labels (each workload's and every label set a selector or
/// `sourceLabels` matches), namespace, service account and identity, the selected Sidecar, and router or sidecar.
enum ProxyVariants {
    static func of(_ base: Proxy, in snapshot: MeshSnapshot) -> [(String, Proxy)] {
        var variants: [(String, Proxy)] = [("base", base)]
        func add(_ label: String, _ change: (inout Proxy) -> Void) {
            var proxy = base
            change(&proxy)
            proxy.id = "\(proxy.kind.rawValue)~\(proxy.ipAddresses.first ?? "-")~\(proxy.podName).\(proxy.namespace)~\(proxy.namespace).svc.cluster.local"
            variants.append((label, proxy))
        }
        add("without identity") { $0.workloadIdentity = nil }
        add("with identity") { $0.workloadIdentity = WorkloadIdentity(namespace: $0.namespace, serviceAccount: $0.serviceAccount ?? "default") }
        add("other trust domain") {
            $0.workloadIdentity = WorkloadIdentity(trustDomain: "example.org", namespace: $0.namespace, serviceAccount: "default")
        }
        add("other service account") {
            $0.serviceAccount = "variant-sa"
            $0.workloadIdentity = WorkloadIdentity(namespace: $0.namespace, serviceAccount: "variant-sa")
        }
        add("router") { $0.kind = .router }
        add("unknown IP") { $0.ipAddresses = ["10.250.0.9"] }
        add("no labels") { $0.labels = [:] }

        var seenAddresses = Set<String>()
        for workload in snapshot.workloads where seenAddresses.insert(workload.address).inserted {
            let pod = "pod-\(workload.address)"
            add("base at \(workload.address)") { $0.ipAddresses = [workload.address] }
            add("base at \(workload.address) after its own IPs") { $0.ipAddresses += [workload.address] }
            add("base at \(workload.address) before its own IPs") { $0.ipAddresses = [workload.address] + $0.ipAddresses }
            for kind in [Proxy.Kind.sidecar, .router] {
                add("\(kind) of the workload at \(workload.address)") {
                    $0.kind = kind
                    $0.ipAddresses = [workload.address]
                    $0.podName = pod
                    $0.namespace = workload.namespace
                    $0.labels = workload.labels
                    $0.serviceAccount = workload.serviceAccount
                    $0.workloadIdentity = WorkloadIdentity(
                        namespace: workload.namespace, serviceAccount: workload.serviceAccount ?? "default")
                }
            }
        }
        for selector in selectorLabels(in: snapshot) {
            let text = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            add("labels \(text) added") { $0.labels.merge(selector) { _, new in new } }
            add("labels \(text) only") { $0.labels = selector }
            add("router with labels \(text)") {
                $0.kind = .router
                $0.labels = selector
            }
        }
        let policyNamespaces = Set(snapshot.authorizationPolicies.keys).union(snapshot.requestAuthentications.keys)
        let namespaces = Set(snapshot.objects.keys.map(\.namespace)).union(policyNamespaces).union(["elsewhere"])
            .subtracting([base.namespace])
        for namespace in namespaces.sorted() {
            add("namespace \(namespace)") {
                $0.namespace = namespace
                $0.workloadIdentity = $0.workloadIdentity.map {
                    WorkloadIdentity(namespace: namespace, serviceAccount: $0.serviceAccount)
                }
            }
        }
        return variants
    }

    /// Every label set something in the snapshot selects proxies by.
    static func selectorLabels(in snapshot: MeshSnapshot) -> [[String: String]] {
        var sets: [[String: String]] = []
        for object in snapshot.objects.values {
            switch object.resource {
            case .sidecar(let sidecar): sets += [sidecar.workloadSelector].compactMap { $0 }
            case .gateway(let gateway): sets.append(gateway.selector)
            case .peerAuthentication(let policy): sets += [policy.selector].compactMap { $0 }
            case .virtualService(let service):
                sets += service.http.flatMap { $0.match.map(\.sourceLabels) }
                sets += service.tcp.flatMap { $0.match.map(\.sourceLabels) }
                sets += service.tls.flatMap { $0.match.map(\.sourceLabels) }
            default: break
            }
        }
        // AuthorizationPolicy and RequestAuthentication selectors (kept beside the objects, not among them).
        sets += snapshot.authorizationPolicies.values.flatMap { $0.compactMap(\.selector) }
        sets += snapshot.requestAuthentications.values.flatMap { $0.compactMap(\.selector) }
        return Array(Set(sets.filter { !$0.isEmpty })).sorted { $0.description < $1.description }
    }
}

@Suite("Shared-config cache serves what a fresh translation gives")
struct CachedViewEquivalenceTests {
    static let types: [XDSType] = [.cluster, .endpoint, .listener, .route]

    @Test("cached config equals uncached translation for every proxy variant", arguments: GoldenMesh.all)
    func cachedEqualsFresh(_ mesh: GoldenMesh) async throws {
        let (snapshot, base) = try mesh.load()
        let provider = MeshResourceProvider(snapshot: snapshot)
        let fresh = XDSTranslator()
        let variants = ProxyVariants.of(base, in: snapshot)
        for type in Self.types {
            for (label, proxy) in variants {
                let served = await provider.resources(type, for: ProxyClient(proxy: proxy)).resources
                let expected = try fresh.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy)
                    .map { try XDSResource(name: $0.name, resource: $0.resource) }
                guard served != expected else { continue }
                let servedByName = Dictionary(served.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
                let differing = expected.filter { servedByName[$0.name] != $0 }.map(\.name)
                    + served.map(\.name).filter { name in !expected.contains { $0.name == name } }
                Issue.record(
                    "\(mesh.name): \(type) served from the cache to proxy variant '\(label)' (\(proxy.id)) differs from a fresh translation in \(differing)")
            }
        }
    }

    @Test func twoPodsUnderASidecarWithAWorkloadIngressEachGetTheirOwnInboundCluster() async throws {
        let (snapshot, _) = try GoldenMesh(name: "sidecar-ingress-workload").load()
        let provider = MeshResourceProvider(snapshot: snapshot)
        for ip in ["10.7.0.11", "10.7.0.12"] {
            let proxy = try Proxy(
                nodeID: "sidecar~\(ip)~ledger-\(ip).bank~bank.svc.cluster.local", metadata: [:], labels: ["app": "ledger"])
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
                    nodeID: "sidecar~\(ip)~ledger-\(ip).bank~bank.svc.cluster.local", metadata: [:], labels: ["app": "ledger"])
                _ = await provider.resources(.cluster, for: ProxyClient(proxy: proxy))
                generated.append(provider.cachedSets)
            }
            #expect((generated[0] == generated[1]) == shared, "two pods under one Sidecar share CDS only when it does not read their IP")
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
            MeshResourceProvider(snapshot: old).affectedTypes(by: ChangeSet(from: old, to: new), to: new).contains(.cluster)
        }
        #expect(clustersAffected(Self.mesh(tlsMode: nil), Self.mesh(tlsMode: "disabled")))
        #expect(clustersAffected(Self.mesh(tlsMode: "disabled"), Self.mesh(tlsMode: "istio")))
        #expect(clustersAffected(Self.mesh(tlsMode: nil), Self.mesh(tlsMode: nil, serviceAccount: nil)))
        #expect(!clustersAffected(Self.mesh(tlsMode: "istio"), Self.mesh(tlsMode: "istio")))
    }
}
