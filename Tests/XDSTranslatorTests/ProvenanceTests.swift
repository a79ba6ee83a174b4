import MeshModel
import Testing
import XDSTranslator

/// Every generated resource names the configuration objects its generator read (`TranslatedMessage.sources`), which
/// is what NACK explanations show the operator.
@Suite("Provenance")
struct ProvenanceTests {
    /// Resources that come from no object: Istio's fixed listeners and clusters, and the proxy's own certificate and
    /// trust bundle (from the CA). virtualInbound and the derived inbound clusters (`inbound|<port>||`) are made from
    /// the workload's ports alone (the generators' inputs carry no more, so that pods of several services share
    /// them); they name what else shaped them (PeerAuthentications, policies, a Sidecar's ingress), which a mesh may
    /// not have.
    static func mayHaveNoSource(_ name: String) -> Bool {
        [
            "virtualOutbound", "virtualInbound", "BlackHoleCluster", "PassthroughCluster", "InboundPassthroughCluster",
            "default", "ROOTCA",
        ].contains(name) || (name.hasPrefix("inbound|") && name.hasSuffix("||"))
    }

    /// Every type of a golden case, SDS included when the proxy has secrets.
    static func all(_ golden: GoldenCase) throws -> [(typeURL: String, message: TranslatedMessage)] {
        let fixture = try golden.fixture()
        return try golden.outputs().flatMap { _, typeURL in fixture.messages(typeURL).map { (typeURL, $0) } }
    }

    static func sources(_ fixture: MeshFixture, _ typeURL: String, _ name: String) -> [String] {
        fixture.messages(typeURL).first { $0.name == name }?.sources.map(\.description) ?? []
    }

    @Test("every resource of every golden case names the objects it came from", arguments: GoldenCase.all)
    func everyResourceHasSources(_ golden: GoldenCase) throws {
        let fixture = try golden.fixture()
        for (typeURL, message) in try Self.all(golden) {
            if !Self.mayHaveNoSource(message.name) {
                #expect(!message.sources.isEmpty, "\(golden.name): \(typeURL) \(message.name) names no source")
            }
            #expect(message.sources == Array(Set(message.sources)).sorted(), "\(message.name): sorted and unique")
            for key in message.sources {
                // Security policies of the golden cases come from security.json, not from objects.
                let known =
                    fixture.snapshot.objects[key] != nil
                    || [.authorizationPolicy, .requestAuthentication].contains(key.kind)
                #expect(known, "\(golden.name): \(message.name) names \(key), which is not in the mesh")
            }
        }
    }

    @Test("the packed resources carry the messages' sources")
    func packedKeepsSources() throws {
        let fixture = try GoldenCase(name: "vs-delegate").fixture()
        let packed = fixture.translator.generate(
            typeURL: TypeURL.route, snapshot: fixture.snapshot, proxy: fixture.proxy)
        #expect(packed.map(\.sources) == fixture.messages(TypeURL.route).map(\.sources))
        #expect(packed.contains { !$0.sources.isEmpty })
    }

    @Test("an outbound cluster names its Service and the DestinationRule whose policy applied; EDS adds the endpoints")
    func clusterNamesDestinationRule() throws {
        let fixture = try GoldenCase(name: "dr-subsets-ports").fixture()
        let name = "outbound|9080|v1|reviews.default.svc.cluster.local"
        #expect(
            Self.sources(fixture, TypeURL.cluster, name) == [
                "DestinationRule/default/reviews", "Service/default/reviews",
            ])
        let endpoints = Self.sources(fixture, TypeURL.endpoint, name)
        #expect(endpoints.contains("DestinationRule/default/reviews") && endpoints.contains("Service/default/reviews"))
    }

    @Test("a route configuration names the services on its port and the VirtualServices, delegates included")
    func routeNamesVirtualServices() throws {
        let fixture = try GoldenCase(name: "vs-delegate").fixture()
        let sources = Self.sources(fixture, TypeURL.route, "9080")
        #expect(sources.contains("VirtualService/default/root"), "\(sources)")
        #expect(sources.contains("VirtualService/team/reviews-api"), "the delegate: \(sources)")
        #expect(sources.contains("Service/default/reviews"), "\(sources)")
    }

    @Test("a TCP listener names the VirtualService whose tcp routes made its chains")
    func tcpListenerNamesVirtualService() throws {
        let fixture = try GoldenCase(name: "vs-tcp-routes").fixture()
        #expect(
            Self.sources(fixture, TypeURL.listener, "10.96.0.30_7000") == [
                "Service/default/db", "VirtualService/default/db",
            ])
        // The cache service has no VirtualService: its listener names the Service alone.
        #expect(Self.sources(fixture, TypeURL.listener, "10.96.0.31_6379") == ["Service/default/cache"])
    }

    @Test("virtualInbound names the AuthorizationPolicies that apply to the workload")
    func virtualInboundNamesPolicies() throws {
        let fixture = try GoldenCase(name: "authz-sidecar").fixture()
        let sources = Self.sources(fixture, TypeURL.listener, "virtualInbound")
        #expect(sources.contains("AuthorizationPolicy/shop/orders-allow"), "\(sources)")
        #expect(sources.contains("AuthorizationPolicy/istio-system/allow-nothing"), "the mesh-wide policy: \(sources)")
    }

    @Test("virtualInbound names the PeerAuthentications its modes were resolved from")
    func virtualInboundNamesPeerAuthentications() throws {
        let fixture = try GoldenCase(name: "mtls-inbound-modes").fixture()
        let sources = Self.sources(fixture, TypeURL.listener, "virtualInbound")
        #expect(
            sources == [
                "PeerAuthentication/istio-system/default", "PeerAuthentication/shop/default",
                "PeerAuthentication/shop/orders-ports",
            ], "\(sources)")
    }

    @Test("gateway listeners, routes and credentials name their Gateway, VirtualServices and Secrets")
    func gatewayResources() throws {
        let fixture = try GoldenCase(name: "gateway-ingress").fixture()
        let listener = Self.sources(fixture, TypeURL.listener, "0.0.0.0_443")
        #expect(listener.contains("Gateway/istio-system/bookinfo-gateway"), "\(listener)")
        let routes = fixture.messages(TypeURL.route)
        #expect(routes.allSatisfy { $0.sources.contains { $0.kind == .gateway } }, "\(routes.map(\.sources))")
        #expect(routes.contains { $0.sources.contains { $0.kind == .virtualService } })
        #expect(
            Self.sources(fixture, TypeURL.secret, "kubernetes://bookinfo-credential")
                == ["Gateway/istio-system/bookinfo-gateway", "Secret/istio-system/bookinfo-credential"])
        // The client CA comes from ca.crt in the credential itself: that Secret is named.
        #expect(
            Self.sources(fixture, TypeURL.secret, "kubernetes://admin-credential-cacert").contains(
                "Secret/istio-system/admin-credential"))
    }

    @Test("a Sidecar's ingress listeners name the Sidecar on the inbound clusters and virtualInbound")
    func sidecarIngress() throws {
        let fixture = try GoldenCase(name: "sidecar-ingress-workload").fixture()
        #expect(Self.sources(fixture, TypeURL.listener, "virtualInbound").contains("Sidecar/bank/ledger"))
        let inbound = fixture.messages(TypeURL.cluster).filter { $0.name.hasPrefix("inbound|") }
        #expect(!inbound.isEmpty && inbound.allSatisfy { $0.sources.map(\.description) == ["Sidecar/bank/ledger"] })
    }
}
