import EnvoyAPI
import Testing
import XDSTranslator

@Suite("CDS")
struct ClusterTests {
    typealias Cluster = Envoy_Config_Cluster_V3_Cluster

    @Test("every service port and DestinationRule subset becomes an EDS cluster named as Istio names it")
    func subsetClusters() throws {
        let clusters = try Bookinfo.fixture().resources(TypeURL.cluster, as: Cluster.self)
        for subset in ["", "v1", "v2", "v3", "v4"] {
            let name = "outbound|9080|\(subset)|\(Bookinfo.reviews)"
            let cluster = try #require(clusters[name], "missing \(name)")
            #expect(cluster.type == .eds)
            #expect(cluster.edsClusterConfig.serviceName == name)
            #expect(cluster.edsClusterConfig.edsConfig.resourceApiVersion == .v3)
            #expect(cluster.connectTimeout.seconds == 10)
        }
        #expect(clusters["outbound|9080||details.other.svc.cluster.local"] != nil)
    }

    @Test("a subset's load balancer overrides the rule's, which overrides istiod's default LEAST_REQUEST")
    func loadBalancers() throws {
        let clusters = try Bookinfo.fixture().resources(TypeURL.cluster, as: Cluster.self)
        #expect(clusters["outbound|9080||\(Bookinfo.reviews)"]?.lbPolicy == .leastRequest)
        #expect(clusters["outbound|9080|v1|\(Bookinfo.reviews)"]?.lbPolicy == .leastRequest)
        #expect(clusters["outbound|9080|v2|\(Bookinfo.reviews)"]?.lbPolicy == .random)
        #expect(clusters["outbound|9080||productpage.default.svc.cluster.local"]?.lbPolicy == .leastRequest)
    }

    @Test("Istio's fixed clusters are always there")
    func fixedClusters() throws {
        let clusters = try Bookinfo.fixture().resources(TypeURL.cluster, as: Cluster.self)
        #expect(clusters["BlackHoleCluster"]?.type == .static)
        #expect(clusters["BlackHoleCluster"]?.hasLoadAssignment == false)
        for name in ["PassthroughCluster", "InboundPassthroughCluster"] {
            #expect(clusters[name]?.type == .originalDst)
            #expect(clusters[name]?.lbPolicy == .clusterProvided)
        }
    }

    @Test("inbound clusters exist only for the ports the proxy's own workload serves")
    func inboundClusters() throws {
        let client = try Bookinfo.fixture().resources(TypeURL.cluster, as: Cluster.self)
        let backend = try Bookinfo.fixture(nodeID: Bookinfo.reviewsV2ID).resources(TypeURL.cluster, as: Cluster.self)
        #expect(backend["inbound|9080||"]?.type == .originalDst)
        #expect(backend["inbound|9080||"]?.lbPolicy == .clusterProvided)
        #expect(client["inbound|9080||"] != nil)  // productpage serves 9080 too
        let stranger = try MeshFixture(yaml: Bookinfo.yaml, nodeID: sidecarID(ip: "10.1.9.9", pod: "unknown"))
        #expect(stranger.resources(TypeURL.cluster, as: Cluster.self).keys.filter { $0.hasPrefix("inbound|") }.isEmpty)
    }

    @Test("an inbound cluster uses the target port, not the service port")
    func inboundTargetPort() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("web", clusterIP: "10.96.5.1", ports: [("http", 80, 8080)]),
            MeshYAML.pod("web-1", ip: "10.1.5.1", labels: ["app": "web"]))
        let clusters = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.1", pod: "web-1"))
            .resources(TypeURL.cluster, as: Cluster.self)
        #expect(clusters["inbound|8080||"] != nil)
        #expect(clusters["inbound|80||"] == nil)
        #expect(clusters["outbound|80||web.default.svc.cluster.local"] != nil)
    }

    @Test("GRPC and HTTP2 ports speak HTTP/2 upstream; HTTP ports do not say")
    func http2Upstream() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("greeter", clusterIP: "10.96.5.2", ports: [("grpc", 50051, nil), ("http", 8080, nil)]))
        let clusters = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
            .resources(TypeURL.cluster, as: Cluster.self)
        let key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
        let grpc = try #require(clusters["outbound|50051||greeter.default.svc.cluster.local"])
        let options = try #require(grpc.typedExtensionProtocolOptions[key])
        let decoded = try Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions(unpackingAny: options)
        guard case .http2ProtocolOptions = decoded.explicitHTTPConfig.protocolConfig else {
            Issue.record("expected explicit HTTP/2, got \(decoded)")
            return
        }
        #expect(
            clusters["outbound|8080||greeter.default.svc.cluster.local"]?.typedExtensionProtocolOptions.isEmpty == true)
    }

    @Test("a DNS ServiceEntry without endpoints resolves its own host on the port")
    func dnsWithoutEndpoints() throws {
        let yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: api
              namespace: default
            spec:
              hosts: [api.example.com]
              resolution: DNS
              ports:
              - {number: 443, name: tls, protocol: TLS}
            """
        let clusters = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
            .resources(TypeURL.cluster, as: Cluster.self)
        let cluster = try #require(clusters["outbound|443||api.example.com"])
        #expect(cluster.type == .strictDns)
        #expect(cluster.dnsLookupFamily == .v4Only)
        let hosts = cluster.loadAssignment.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress)
        #expect(hosts.map(\.address) == ["api.example.com"])
        #expect(hosts.map(\.portValue) == [443])
        #expect(cluster.loadAssignment.clusterName == "outbound|443||api.example.com")
    }

    @Test("DNS_ROUND_ROBIN gives LOGICAL_DNS with exactly one host, as Envoy requires (istiod refuses more)")
    func logicalDNS() throws {
        let yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: cdn
              namespace: default
            spec:
              hosts: [cdn.example.net]
              resolution: DNS_ROUND_ROBIN
              ports:
              - {number: 443, name: tls, protocol: TLS}
              endpoints:
              - address: a.cdn.example.net
            """
        let clusters = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
            .resources(TypeURL.cluster, as: Cluster.self)
        let cluster = try #require(clusters["outbound|443||cdn.example.net"])
        #expect(cluster.type == .logicalDns)
        #expect(cluster.loadAssignment.endpoints.flatMap(\.lbEndpoints).count == 1)
    }

    @Test("a PASSTHROUGH load balancer makes the cluster ORIGINAL_DST and takes it out of EDS")
    func passthroughLoadBalancer() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("legacy", clusterIP: "10.96.5.3", ports: [("tcp", 5000, nil)]),
            MeshYAML.pod("legacy-1", ip: "10.1.5.3", labels: ["app": "legacy"]),
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: legacy
              namespace: default
            spec:
              host: legacy
              trafficPolicy:
                loadBalancer:
                  simple: PASSTHROUGH
            """)
        let fixture = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
        let cluster = try #require(
            fixture.resources(TypeURL.cluster, as: Cluster.self)["outbound|5000||legacy.default.svc.cluster.local"])
        #expect(cluster.type == .originalDst)
        #expect(cluster.lbPolicy == .clusterProvided)
        #expect(!cluster.hasEdsClusterConfig)
        #expect(fixture.messages(TypeURL.endpoint).isEmpty)
    }

    @Test("packed resources carry the cluster type URL and unpack to the same message")
    func packing() throws {
        let fixture = try Bookinfo.fixture()
        let packed = fixture.translator.generate(
            typeURL: TypeURL.cluster, snapshot: fixture.snapshot, proxy: fixture.proxy)
        let typed = fixture.resources(TypeURL.cluster, as: Cluster.self)
        #expect(packed.count == typed.count)
        for resource in packed {
            #expect(resource.resource.typeURL == TypeURL.cluster)
            let cluster = try Cluster(unpackingAny: resource.resource)
            #expect(cluster == typed[resource.name])
        }
    }

    @Test("an unknown type URL yields nothing")
    func unknownTypeURL() throws {
        let fixture = try Bookinfo.fixture()
        #expect(
            fixture.translator.generate(
                typeURL: "type.googleapis.com/nope.Nope", snapshot: fixture.snapshot, proxy: fixture.proxy
            ).isEmpty)
    }
}
