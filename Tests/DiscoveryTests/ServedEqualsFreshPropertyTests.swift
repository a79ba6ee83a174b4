// The property behind the shared-config cache, through the provider's public API only: whatever proxy connects (an
// Envoy node admitted by `MeshResourceProvider.admit`), what `resources(_:for:)` serves it through the cache is exactly
// what a fresh, uncached `XDSTranslator.generate(typeURL:snapshot:proxy:)` gives that proxy, for every type.
//
// The meshes are every golden case (Tests/XDSTranslatorTests/Golden); the proxies are each case's own and many variants
// of them (`ProxyVariants`): sidecar or router, the namespaces of the mesh and one more, with and without an identity
// (and in another trust domain), IPs that are a workload's or no one's, alone or beside others, and the label sets that
// a Sidecar, Gateway, PeerAuthentication, AuthorizationPolicy, RequestAuthentication or route match selects, or none.
// Many proxies are served from one provider before the checks repeat, so that any two whose config the cache shares
// must really have the same config; and one provider is walked through snapshots of different golden cases with
// `update(_:generation:)`, serving proxies of every case after each, so that nothing outlives the snapshot it was
// made for. The cache's keys are an implementation detail: this test does not look at them.
//
// Random choices come from a generator seeded from the case name (set MESHD_PROPERTY_SEED to explore other seeds); a
// failure names the seed, the case, the type and the proxy.

import CertificateAuthority
import Discovery
import EnvoyAPI
import Foundation
import Logging
import MeshModel
import MeshTestSupport
import SwiftProtobuf
import Testing
import XDSServer
import XDSTranslator

/// One way a proxy may connect: its node as Envoy sends it, and what meshd must make of it.
struct ProxyVariant: Sendable {
    var label: String
    var proxy: Proxy

    /// Istio's node id for `proxy`: `type~ip~pod.namespace~domain`.
    static func nodeID(of proxy: Proxy) -> String {
        "\(proxy.kind.rawValue)~\(proxy.ipAddresses.first ?? "-")~\(proxy.podName).\(proxy.namespace)~\(proxy.dnsDomain)"
    }

    /// The Envoy node that describes `proxy`: Istio's node id and the metadata `meshd bootstrap` writes.
    var node: Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = Self.nodeID(of: proxy)
        var fields: [String: Google_Protobuf_Value] = [
            "NAMESPACE": Google_Protobuf_Value(stringValue: proxy.namespace),
            "INSTANCE_IPS": Google_Protobuf_Value(stringValue: proxy.ipAddresses.joined(separator: ",")),
            "INTERCEPTION_MODE": Google_Protobuf_Value(stringValue: proxy.interceptionMode),
        ]
        if let account = proxy.serviceAccount {
            fields["SERVICE_ACCOUNT"] = Google_Protobuf_Value(stringValue: account)
        }
        if let cluster = proxy.clusterID { fields["CLUSTER_ID"] = Google_Protobuf_Value(stringValue: cluster) }
        if let mesh = proxy.meshID { fields["MESH_ID"] = Google_Protobuf_Value(stringValue: mesh) }
        fields["LABELS"] = Google_Protobuf_Value(
            structValue: Google_Protobuf_Struct(
                fields: proxy.labels.mapValues { Google_Protobuf_Value(stringValue: $0) }))
        node.metadata = Google_Protobuf_Struct(fields: fields)
        return node
    }
}

/// Proxies that differ from a golden case's proxies in one or a few of the facts the translator could read.
enum ProxyVariants {
    /// The systematic variants (one or two facts changed each) of every proxy in `bases`, plus `randomCount` random
    /// combinations drawn with `generator`.
    static func of(
        _ bases: [Proxy], in snapshot: MeshSnapshot, randomCount: Int, using generator: inout SeededGenerator
    ) -> [ProxyVariant] {
        var variants: [ProxyVariant] = []
        var seen = Set<Proxy>()
        func add(_ label: String, _ base: Proxy, _ change: (inout Proxy) -> Void) {
            var proxy = base
            change(&proxy)
            proxy.workloadIdentity = nil  // the provider's authentication decides it
            proxy.metadata = [:]  // the node is written from the proxy's fields (`ProxyVariant.node`)
            proxy.id = ProxyVariant.nodeID(of: proxy)
            if seen.insert(proxy).inserted { variants.append(ProxyVariant(label: label, proxy: proxy)) }
        }
        let workloads = uniqueWorkloads(snapshot)
        let selectors = selectorLabels(in: snapshot)
        let namespaces = namespaces(of: snapshot, bases: bases)
        for (index, base) in bases.enumerated() {
            let name = "proxy \(index)"
            add(name, base) { _ in }
            add("\(name) as a router", base) { $0.kind = .router }
            add("\(name) as a sidecar", base) { $0.kind = .sidecar }
            add("\(name) at an unknown IP", base) { $0.ipAddresses = ["10.250.0.9"] }
            add("\(name) without labels", base) { $0.labels = [:] }
            add("\(name) with another service account", base) { $0.serviceAccount = "variant-sa" }
            add("\(name) without a service account", base) { $0.serviceAccount = nil }
            for workload in workloads {
                add("\(name) at \(workload.address)", base) { $0.ipAddresses = [workload.address] }
                add("\(name) at its IPs, then \(workload.address)", base) { $0.ipAddresses += [workload.address] }
                add("\(name) at \(workload.address), then its IPs", base) {
                    $0.ipAddresses = [workload.address] + $0.ipAddresses
                }
                for kind in [Proxy.Kind.sidecar, .router] {
                    add("\(kind) of the workload at \(workload.address)", base) {
                        $0.kind = kind
                        $0.ipAddresses = [workload.address]
                        $0.podName = "pod-\(workload.address)"
                        $0.namespace = workload.namespace
                        $0.labels = workload.labels
                        $0.serviceAccount = workload.serviceAccount
                    }
                }
            }
            for selector in selectors {
                let text = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                add("\(name) with \(text) added", base) { $0.labels.merge(selector) { _, new in new } }
                add("\(name) with only \(text)", base) { $0.labels = selector }
                add("router with \(text)", base) {
                    $0.kind = .router
                    $0.labels = selector
                }
            }
            for namespace in namespaces where namespace != base.namespace {
                add("\(name) in \(namespace)", base) { $0.namespace = namespace }
            }
        }
        // Random combinations of every dimension at once.
        let addresses = workloads.map(\.address) + ["10.250.0.9", "10.250.0.10"]
        let labelSets = [[:]] + workloads.map(\.labels) + selectors
        for draw in 0..<randomCount {
            guard let base = bases.randomElement(using: &generator) else { break }
            add("random \(draw)", base) { proxy in
                proxy.kind = Bool.random(using: &generator) ? .sidecar : .router
                proxy.namespace = namespaces.randomElement(using: &generator) ?? proxy.namespace
                let count = Int.random(in: 1...3, using: &generator)
                proxy.ipAddresses = (0..<count).compactMap { _ in addresses.randomElement(using: &generator) }
                proxy.labels = [:]
                for _ in 0..<Int.random(in: 0...2, using: &generator) {
                    proxy.labels.merge(labelSets.randomElement(using: &generator) ?? [:]) { _, new in new }
                }
                proxy.serviceAccount =
                    [nil, "default", "variant-sa", proxy.serviceAccount].randomElement(using: &generator) ?? nil
                proxy.podName = "random-\(draw)"
            }
        }
        return variants
    }

    /// One workload per address.
    static func uniqueWorkloads(_ snapshot: MeshSnapshot) -> [MeshWorkload] {
        var seen = Set<String>()
        return snapshot.workloads.filter { seen.insert($0.address).inserted }
    }

    /// The namespaces of the mesh's objects and policies, the proxies' own, and one the mesh does not mention.
    static func namespaces(of snapshot: MeshSnapshot, bases: [Proxy]) -> [String] {
        let policies = Set(snapshot.authorizationPolicies.keys).union(snapshot.requestAuthentications.keys)
        return Set(snapshot.objects.keys.map(\.namespace)).union(policies).union(bases.map(\.namespace))
            .union(["elsewhere-\(bases.count)"]).sorted()
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
        sets += snapshot.authorizationPolicies.values.flatMap { $0.compactMap(\.selector) }
        sets += snapshot.requestAuthentications.values.flatMap { $0.compactMap(\.selector) }
        return Array(Set(sets.filter { !$0.isEmpty })).sorted { $0.description < $1.description }
    }
}

/// A provider as `meshd serve` builds one, with or without proxy authentication, and what a fresh translation gives.
struct ProviderUnderTest: Sendable {
    /// Whose identity admitted proxies get: none (no CA), or the one their node claims in `trustDomain`.
    enum Identity: Sendable, CustomStringConvertible {
        case none
        case claimed(trustDomain: String)

        var description: String {
            switch self {
            case .none: "without identity"
            case .claimed(let domain): "with identity in \(domain)"
            }
        }
    }

    static let modes: [Identity] = [
        .none, .claimed(trustDomain: "cluster.local"), .claimed(trustDomain: "example.org"),
    ]
    /// One CA for the whole test run: issuing is what costs, and certificates are per identity anyway.
    static let ca: Result<CertificateAuthority, any Error> = Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-property-\(UUID().uuidString)")
        return try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions())
    }
    static let quiet = Logger(label: "property", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Development mode on a UNIX socket: the node's claimed identity is taken, as `--insecure-trust-node-metadata`.
    static let peer = PeerInfo(remotePeer: "unix:/tmp/meshd-property.sock")

    let identity: Identity
    let provider: MeshResourceProvider
    let certificates: WorkloadCertificates?
    let fresh = XDSTranslator()

    init(_ identity: Identity, snapshot: MeshSnapshot) throws {
        self.identity = identity
        switch identity {
        case .none:
            certificates = nil
            provider = MeshResourceProvider(snapshot: snapshot)
        case .claimed(let trustDomain):
            let ca = try Self.ca.get()
            let certificates = WorkloadCertificates(ca: ca)
            let authenticator = ProxyAuthenticator(
                ca: ca, trustDomain: trustDomain, trustNodeMetadata: true, logger: Self.quiet)
            self.certificates = certificates
            provider = MeshResourceProvider(
                snapshot: snapshot, security: ProxySecurity(authenticator: authenticator, certificates: certificates))
        }
    }

    func admit(_ variant: ProxyVariant) throws -> ProxyClient {
        let client = try provider.admit(node: variant.node, peer: Self.peer)
        // The node says what the variant means; the check makes sure the test exercises what it names.
        var admitted = client.proxy
        admitted.workloadIdentity = nil
        // The raw node metadata is kept as sent (EnvoyFilter `match.proxy` reads it); what it means is compared.
        admitted.metadata = [:]
        var expected = variant.proxy
        expected.metadata = [:]
        #expect(admitted == expected, "the node of '\(variant.label)' is not read back as that proxy")
        switch identity {
        case .none:
            #expect(client.proxy.workloadIdentity == nil)
        case .claimed(let domain):
            #expect(client.proxy.workloadIdentity?.trustDomain == domain)
        }
        return client
    }

    /// What a fresh translation of `snapshot` gives the admitted proxy, encoded as the provider serves resources.
    func freshResources(_ type: XDSType, for client: ProxyClient, snapshot: MeshSnapshot) throws -> [XDSResource] {
        var secrets: ProxySecrets?
        if type == .secret {
            // SDS: the proxy's own certificate and the trust bundle, and nothing for a proxy without an identity.
            guard let certificates, let identity = client.proxy.workloadIdentity else { return [] }
            let spiffe = SPIFFEIdentity(
                trustDomain: identity.trustDomain, namespace: identity.namespace,
                serviceAccount: identity.serviceAccount)
            let certificate = certificates.certificate(for: spiffe)
            secrets = ProxySecrets(
                certificateChainPEM: certificate?.certificateChainPEM, privateKeyPEM: certificate?.privateKeyPEM,
                trustBundlePEM: certificates.trustBundlePEM)
        }
        return try fresh.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: client.proxy, secrets: secrets)
            .map { try XDSResource(name: $0.name, resource: $0.resource) }
    }

    /// Serves `client` through the cache and records an issue naming the resources that differ from a fresh
    /// translation. Returns whether they were equal.
    @discardableResult
    func check(
        _ type: XDSType, _ client: ProxyClient, label: String, snapshot: MeshSnapshot, context: String,
        expected known: [XDSResource]? = nil
    ) async throws -> Bool {
        let served = await provider.resources(type, for: client).resources
        let expected = try known ?? freshResources(type, for: client, snapshot: snapshot)
        guard served != expected else { return true }
        let servedByName = Dictionary(served.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let differing =
            expected.filter { servedByName[$0.name] != $0 }.map(\.name)
            + served.map(\.name).filter { name in !expected.contains { $0.name == name } }
        Issue.record(
            "\(context): \(type) served through the cache to '\(label)' (\(client.proxy.id), \(identity)) differs from a fresh translation in \(differing)"
        )
        return false
    }
}

@Suite("Served through the provider's cache equals a fresh translation")
struct ServedEqualsFreshPropertyTests {
    static let types = XDSType.allCases
    static let randomVariantsPerCase = 24

    static var meshCases: [GoldenMeshCase] { GoldenCorpus.meshCases }

    static func bases(of mesh: GoldenMeshCase) throws -> [Proxy] {
        try mesh.proxies().map { try $0.proxy() }
    }

    @Test("every golden case and many proxy variants, each served after many others", arguments: meshCases)
    func everyVariantOfEveryCase(_ mesh: GoldenMeshCase) async throws {
        let snapshot = try mesh.snapshot()
        let seed = SeededGenerator.seed(for: mesh.name)
        var generator = SeededGenerator(seed: seed)
        let variants = ProxyVariants.of(
            try Self.bases(of: mesh), in: snapshot, randomCount: Self.randomVariantsPerCase, using: &generator)
        #expect(variants.count > 10, "\(mesh.name): too few variants to mean anything")
        for mode in ProviderUnderTest.modes {
            let subject = try ProviderUnderTest(mode, snapshot: snapshot)
            let clients = try variants.map { (variant: $0, client: try subject.admit($0)) }
            var failures = 0
            // Every type for every proxy, in a shuffled order; then again in another order, from the cache (the fresh
            // translation of the first round is the expectation of the second).
            var expectations: [Int: [XDSType: [XDSResource]]] = [:]
            for round in 0..<2 {
                var order = Array(clients.indices).flatMap { index in Self.types.map { (index, $0) } }
                order.shuffle(using: &generator)
                for (index, type) in order where failures < 20 {
                    let client = clients[index].client
                    let expected =
                        try expectations[index]?[type] ?? subject.freshResources(type, for: client, snapshot: snapshot)
                    expectations[index, default: [:]][type] = expected
                    let ok = try await subject.check(
                        type, client, label: clients[index].variant.label, snapshot: snapshot,
                        context: "\(mesh.name) (seed \(seed), round \(round))", expected: expected)
                    if !ok { failures += 1 }
                }
            }
        }
    }

    @Test(
        "one provider updated through snapshots of different golden cases serves each proxy what the current one gives")
    func updatesBetweenGoldenCases() async throws {
        let seed = SeededGenerator.seed(for: "updates")
        var generator = SeededGenerator(seed: seed)
        let meshes = try Self.meshCases.map {
            (name: $0.name, snapshot: try $0.snapshot(), bases: try Self.bases(of: $0))
        }
        try #require(meshes.count >= 4)
        // Proxies of every case, some varied: after each update every mesh's proxies are connected at once.
        var pool: [ProxyVariant] = []
        for mesh in meshes {
            var local = SeededGenerator(seed: SeededGenerator.seed(for: "pool \(mesh.name)"))
            let variants = ProxyVariants.of(mesh.bases, in: mesh.snapshot, randomCount: 4, using: &local)
            pool += variants.shuffled(using: &local).prefix(6).map {
                ProxyVariant(label: "\(mesh.name): \($0.label)", proxy: $0.proxy)
            }
        }
        // Every case once, in a random order, then random steps that also revisit cases and repeat the current one.
        var steps = Array(meshes.indices).shuffled(using: &generator)
        for _ in 0..<12 { steps.append(Int.random(in: meshes.indices, using: &generator)) }
        steps.insert(steps[3], at: 4)
        for mode in ProviderUnderTest.modes {
            let subject = try ProviderUnderTest(mode, snapshot: MeshSnapshot.build(from: []))
            let clients = try pool.map { (variant: $0, client: try subject.admit($0)) }
            var failures = 0
            for (generation, step) in steps.enumerated() {
                let mesh = meshes[step]
                subject.provider.update(mesh.snapshot, generation: UInt64(generation + 1))
                // The current case's own proxies first, then a random sample of the whole pool, every type.
                let own = clients.indices.filter { clients[$0].variant.label.hasPrefix("\(mesh.name): ") }
                let sample = Array(clients.indices.shuffled(using: &generator).prefix(12))
                for index in own + sample where failures < 20 {
                    for type in Self.types.shuffled(using: &generator) {
                        let ok = try await subject.check(
                            type, clients[index].client, label: clients[index].variant.label, snapshot: mesh.snapshot,
                            context: "step \(generation) to \(mesh.name) (seed \(seed))")
                        if !ok { failures += 1 }
                    }
                }
            }
        }
    }

    /// The check bites: a provider left on another snapshot than the one translated afresh is caught.
    @Test("a stale provider is caught")
    func staleProviderIsCaught() async throws {
        let first = try GoldenCorpus.meshCase("bookinfo-productpage")
        let second = try GoldenCorpus.meshCase("vs-match")
        let subject = try ProviderUnderTest(.none, snapshot: try first.snapshot())
        let variant = ProxyVariant(label: "bookinfo productpage", proxy: try Self.bases(of: first)[0])
        let client = try subject.admit(variant)
        let staleSnapshot = try second.snapshot()
        let served = await subject.provider.resources(.cluster, for: client).resources
        let fresh = try subject.freshResources(.cluster, for: client, snapshot: staleSnapshot)
        #expect(
            served != fresh,
            "two different meshes give the same clusters: the property test could not see a stale cache")
    }
}

/// One golden mesh case with its first proxy, for the focused cache tests beside this file.
struct GoldenMesh: Sendable {
    let name: String
    var folder: URL { GoldenMeshCase(name: name).folder }

    func load() throws -> (snapshot: MeshSnapshot, proxy: Proxy) {
        let mesh = try GoldenCorpus.meshCase(name)
        guard let proxy = try mesh.proxies().first else { throw HarnessError("\(name) has no proxy") }
        return (try mesh.snapshot(), try proxy.proxy())
    }
}
