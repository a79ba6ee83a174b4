import EnvoyAPI
import Foundation
import MeshModel
import Testing
import XDSTranslator

/// A mesh of 50 services (`svc-<i>` in namespace `ns-<i % 5>`, ports `http` 9080 and `grpc` 9090, one pod each)
/// and the client `svc-0-pod` in `ns-0`, to show what a Sidecar removes from a proxy's configuration.
enum ScopedMesh {
    static let serviceCount = 50
    static let clientID = sidecarID(ip: "10.10.0.1", pod: "svc-0-pod", namespace: "ns-0")

    static func namespace(_ index: Int) -> String { "ns-\(index % 5)" }
    static func hostname(_ index: Int) -> String {
        "svc-\(index).\(namespace(index)).svc.cluster.local"
    }

    static var yaml: String {
        var documents: [String] = []
        for index in 0..<serviceCount {
            documents.append(
                MeshYAML.service(
                    "svc-\(index)", namespace: namespace(index), clusterIP: "10.96.1.\(index + 1)",
                    ports: [("http", 9080, nil), ("grpc", 9090, nil)]))
            documents.append(
                MeshYAML.pod(
                    "svc-\(index)-pod", namespace: namespace(index), ip: "10.10.\(index).1",
                    labels: ["app": "svc-\(index)"]))
        }
        // A VirtualService of ns-1 for svc-1 that sends everything to svc-11 (also in ns-1).
        documents.append(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: svc-1
              namespace: ns-1
            spec:
              hosts: [svc-1]
              http:
              - route:
                - destination:
                    host: svc-11
                    port:
                      number: 9080
            """)
        return documents.joined(separator: "\n---\n")
    }

    static func sidecar(
        _ spec: String, name: String = "default", namespace: String = "ns-0"
    )
        -> String
    {
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
        \(spec)
        """
    }

    static func fixture(
        sidecar: String? = nil, labels: [String: String] = ["app": "svc-0"]
    ) throws
        -> MeshFixture
    {
        try MeshFixture(
            yaml: [yaml, sidecar].compactMap { $0 }.joined(separator: "\n---\n"), nodeID: clientID,
            metadata: ["NAMESPACE": "ns-0", "INSTANCE_IPS": "10.10.0.1"], labels: labels)
    }

    /// Hostnames of the outbound clusters (`outbound|port|subset|host`).
    static func outboundHosts(_ fixture: MeshFixture) -> Set<String> {
        Set(
            fixture.messages(TypeURL.cluster).map(\.name).filter { $0.hasPrefix("outbound|") }.compactMap {
                $0.split(separator: "|", omittingEmptySubsequences: false).last.map(String.init)
            })
    }

    /// Serialised bytes of CDS, EDS, RDS and LDS for the fixture's proxy, as they go on the wire.
    static func xdsBytes(_ fixture: MeshFixture) -> Int {
        [TypeURL.cluster, TypeURL.endpoint, TypeURL.route, TypeURL.listener].reduce(0) {
            total, typeURL in
            total
                + fixture.translator.generate(
                    typeURL: typeURL, snapshot: fixture.snapshot, proxy: fixture.proxy
                )
                .reduce(0) { $0 + $1.resource.value.count }
        }
    }
}

@Suite struct SidecarScopeTests {
    static let egress = """
          egress:
          - hosts:
            - "./*"
            - "istio-system/*"
            - "ns-1/svc-1.ns-1.svc.cluster.local"
        """

    /// The proxy's CDS holds its own namespace, the one imported host and the destination of that host's
    /// VirtualService, nothing else; EDS, LDS and RDS follow.
    @Test func scopedProxyGetsOnlyImportedServices() throws {
        let everything = try ScopedMesh.fixture()
        let scoped = try ScopedMesh.fixture(sidecar: ScopedMesh.sidecar(Self.egress))

        let ownNamespace = (0..<ScopedMesh.serviceCount).filter { $0 % 5 == 0 }.map(ScopedMesh.hostname)
        let expected = Set(ownNamespace + [ScopedMesh.hostname(1), ScopedMesh.hostname(11)])
        #expect(ScopedMesh.outboundHosts(everything).count == ScopedMesh.serviceCount)
        #expect(ScopedMesh.outboundHosts(scoped) == expected)

        let clusterNames = Set(scoped.messages(TypeURL.cluster).map(\.name))
        #expect(
            clusterNames.isSuperset(of: [
                "BlackHoleCluster", "PassthroughCluster", "InboundPassthroughCluster",
            ]))
        // svc-11 is only there for the VirtualService, which names port 9080: its 9090 cluster is not imported.
        #expect(clusterNames.contains("outbound|9080||\(ScopedMesh.hostname(11))"))
        #expect(!clusterNames.contains("outbound|9090||\(ScopedMesh.hostname(11))"))
        #expect(
            Set(scoped.messages(TypeURL.endpoint).map(\.name))
                == clusterNames.filter { $0.hasPrefix("outbound|") })

        let routes = scoped.resources(TypeURL.route, as: Envoy_Config_Route_V3_RouteConfiguration.self)
        let hostNames = Set(routes["9080"]?.virtualHosts.map(\.name) ?? [])
        #expect(hostNames == Set(expected.map { "\($0):9080" } + ["allow_any"]))
        // The imported VirtualService shapes svc-1's routes.
        let svc1 = routes["9080"]?.virtualHosts.first { $0.name == "\(ScopedMesh.hostname(1)):9080" }
        #expect(svc1?.routes.first?.route.cluster == "outbound|9080||\(ScopedMesh.hostname(11))")

        let tcpListeners = scoped.messages(TypeURL.listener).map(\.name).filter {
            $0.hasPrefix("10.96.")
        }
        #expect(
            tcpListeners.isEmpty, "grpc ports are HTTP listeners, not VIP listeners: \(tcpListeners)")

        let before = ScopedMesh.xdsBytes(everything)
        let after = ScopedMesh.xdsBytes(scoped)
        print(
            "sidecar scope, \(ScopedMesh.serviceCount) services: CDS+EDS+RDS+LDS \(before) bytes without the Sidecar, "
                + "\(after) with it (\(before - after) bytes less, \(100 - after * 100 / max(before, 1))% smaller)"
        )
        #expect(after < before)
    }

    @Test func egressPortImportsOnlyThatPort() throws {
        let spec = """
              egress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http
                hosts: ["*/*"]
            """
        let scoped = try ScopedMesh.fixture(sidecar: ScopedMesh.sidecar(spec))
        let clusters = scoped.messages(TypeURL.cluster).map(\.name).filter { $0.hasPrefix("outbound|") }
        #expect(clusters.count == ScopedMesh.serviceCount)
        #expect(clusters.allSatisfy { $0.hasPrefix("outbound|9080|") })
        #expect(scoped.messages(TypeURL.route).map(\.name) == ["9080"])
    }

    @Test func noneNamespaceImportsNothing() throws {
        let scoped = try ScopedMesh.fixture(
            sidecar: ScopedMesh.sidecar("  egress:\n  - hosts: [\"~/*\"]"))
        #expect(ScopedMesh.outboundHosts(scoped).isEmpty)
        #expect(scoped.messages(TypeURL.route).isEmpty)
    }

    @Test func virtualServiceOfAnUnimportedNamespaceIsIgnored() throws {
        // ns-0 imports svc-1's host, but only from ns-0 (where it does not live): neither svc-1 nor its
        // VirtualService (in ns-1) is imported.
        let spec = "  egress:\n  - hosts: [\"./*\", \"ns-0/svc-1.ns-1.svc.cluster.local\"]"
        let scoped = try ScopedMesh.fixture(sidecar: ScopedMesh.sidecar(spec))
        #expect(!ScopedMesh.outboundHosts(scoped).contains(ScopedMesh.hostname(1)))
        #expect(!ScopedMesh.outboundHosts(scoped).contains(ScopedMesh.hostname(11)))
    }

    @Test func workloadSelectorSidecarAppliesOnlyToMatchingProxies() throws {
        let yaml =
            ScopedMesh.sidecar(
                "  workloadSelector:\n    labels:\n      app: svc-0\n  egress:\n  - hosts: [\"~/*\"]",
                name: "svc-0")
            + "\n---\n" + ScopedMesh.sidecar(Self.egress)
        let selected = try ScopedMesh.fixture(sidecar: yaml)
        let other = try ScopedMesh.fixture(sidecar: yaml, labels: ["app": "svc-5"])
        #expect(ScopedMesh.outboundHosts(selected).isEmpty)
        #expect(ScopedMesh.outboundHosts(other).count == 12)
    }

    /// `~namespace/host` entries subtract from the includes of their own listener, wherever they are written:
    /// `~ns-1/*` removes ns-1 and `~*/svc-2...` one host from the 9080 listener's `*/*`, while the 9090 listener
    /// still imports ns-1. Its VirtualService (svc-1 -> svc-11:9080) brings svc-11's 9080 cluster back, as any
    /// imported VirtualService's destination does.
    @Test func exclusionsSubtractFromTheirListenersIncludes() throws {
        let spec = """
              egress:
              - port: {number: 9080, protocol: HTTP, name: http}
                hosts: ["~ns-1/*", "*/*", "~*/svc-2.ns-2.svc.cluster.local"]
              - port: {number: 9090, protocol: GRPC, name: grpc}
                hosts: ["ns-1/*"]
            """
        let scoped = try ScopedMesh.fixture(sidecar: ScopedMesh.sidecar(spec))
        let clusters = Set(scoped.messages(TypeURL.cluster).map(\.name).filter { $0.hasPrefix("outbound|") })
        let all = 0..<ScopedMesh.serviceCount
        let on9080 = all.filter { $0 % 5 != 1 && $0 != 2 }.map { "outbound|9080||\(ScopedMesh.hostname($0))" }
        let on9090 = all.filter { $0 % 5 == 1 }.map { "outbound|9090||\(ScopedMesh.hostname($0))" }
        let expected = Set(on9080 + on9090 + ["outbound|9080||\(ScopedMesh.hostname(11))"])
        #expect(clusters == expected, "\(clusters.symmetricDifference(expected).sorted())")
        #expect(!ScopedMesh.outboundHosts(scoped).contains(ScopedMesh.hostname(2)))
    }

    /// A listener whose only entries are exclusions imports nothing.
    @Test func exclusionsAloneImportNothing() throws {
        let scoped = try ScopedMesh.fixture(
            sidecar: ScopedMesh.sidecar("  egress:\n  - hosts: [\"~ns-1/*\", \"~./*\"]"))
        #expect(ScopedMesh.outboundHosts(scoped).isEmpty)
    }

    @Test func rootNamespaceSidecarIsTheMeshDefault() throws {
        let scoped = try ScopedMesh.fixture(
            sidecar: ScopedMesh.sidecar("  egress:\n  - hosts: [\"./*\"]", namespace: "istio-system"))
        // `.` is the namespace of the Sidecar (istio-system), which holds no services.
        #expect(ScopedMesh.outboundHosts(scoped).isEmpty)
    }
}

@Suite struct OutboundTrafficPolicyTests {
    static func catchAll(
        _ fixture: MeshFixture, translator: XDSTranslator? = nil
    )
        -> (listenerCluster: String?, virtualHost: Envoy_Config_Route_V3_VirtualHost?)
    {
        let translator = translator ?? fixture.translator
        let listeners = translator.generateMessages(
            typeURL: TypeURL.listener, snapshot: fixture.snapshot, proxy: fixture.proxy)
        let outbound =
            listeners.first { $0.name == "virtualOutbound" }?.message
            as? Envoy_Config_Listener_V3_Listener
        let proxy = try? outbound?.filterChains.first?.filters.first.map {
            try Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy(unpackingAny: $0.typedConfig)
        }
        let routes = translator.generateMessages(
            typeURL: TypeURL.route, snapshot: fixture.snapshot, proxy: fixture.proxy)
        let configuration =
            routes.first { $0.name == "9080" }?.message as? Envoy_Config_Route_V3_RouteConfiguration
        return (proxy?.cluster, configuration?.virtualHosts.last)
    }

    @Test func registryOnlySendsUnknownDestinationsToTheBlackHole() throws {
        let fixture = try ScopedMesh.fixture(
            sidecar: ScopedMesh.sidecar("  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY"))
        let (cluster, host) = Self.catchAll(fixture)
        #expect(cluster == "BlackHoleCluster")
        #expect(host?.name == "block_all")
        #expect(host?.domains == ["*"])
        #expect(host?.routes.first?.directResponse.status == 502)
        // Without egress the proxy still imports everything.
        #expect(ScopedMesh.outboundHosts(fixture).count == ScopedMesh.serviceCount)
    }

    @Test func allowAnyPassesThrough() throws {
        let (cluster, host) = Self.catchAll(try ScopedMesh.fixture())
        #expect(cluster == "PassthroughCluster")
        #expect(host?.name == "allow_any")
        #expect(host?.routes.first?.route.cluster == "PassthroughCluster")
    }

    @Test func meshWideSettingAppliesUnlessTheSidecarSaysOtherwise() throws {
        let registryOnly = XDSTranslator(
            settings: TranslatorSettings(outboundTrafficPolicy: .registryOnly))
        let plain = try ScopedMesh.fixture()
        #expect(Self.catchAll(plain, translator: registryOnly).listenerCluster == "BlackHoleCluster")
        let allowing = try ScopedMesh.fixture(
            sidecar: ScopedMesh.sidecar("  outboundTrafficPolicy:\n    mode: ALLOW_ANY"))
        #expect(
            Self.catchAll(allowing, translator: registryOnly).listenerCluster == "PassthroughCluster")
        #expect(Self.catchAll(allowing, translator: registryOnly).virtualHost?.name == "allow_any")
    }
}

@Suite struct SidecarIngressTests {
    @Test func ingressListenersReplaceDerivedInboundPorts() throws {
        let spec = """
              ingress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http
                defaultEndpoint: 127.0.0.1:8080
              egress:
              - hosts: ["./*"]
            """
        let fixture = try ScopedMesh.fixture(sidecar: ScopedMesh.sidecar(spec))
        let clusters = fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)
        let inbound = clusters.filter { $0.key.hasPrefix("inbound|") }
        #expect(inbound.keys.sorted() == ["inbound|9080||"])
        let cluster = inbound["inbound|9080||"]
        #expect(cluster?.type == .static)
        let address = cluster?.loadAssignment.endpoints.first?.lbEndpoints.first?.endpoint.address
            .socketAddress
        #expect(address?.address == "127.0.0.1")
        #expect(address?.portValue == 8080)

        let listeners = fixture.resources(TypeURL.listener, as: Envoy_Config_Listener_V3_Listener.self)
        let ports = listeners["virtualInbound"]?.filterChains.map(
            \.filterChainMatch.destinationPort.value)
        #expect(ports == [9080])

        // Without the Sidecar, the workload's service ports (9080 and 9090) are derived.
        let plain = try ScopedMesh.fixture()
        let derived = plain.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)
        #expect(
            derived.keys.filter { $0.hasPrefix("inbound|") }.sorted() == [
                "inbound|9080||", "inbound|9090||",
            ])
    }
}
