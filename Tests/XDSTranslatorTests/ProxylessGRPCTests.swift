import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSTranslator

/// What meshd generates for a proxyless gRPC client (node metadata `GENERATOR: grpc`), as istiod's `grpc` generator
/// does: ApiListeners named `host:port`, per-service route configurations, EDS clusters with only the fields gRPC
/// reads, and TLS from the bootstrap's certificate provider.
@Suite("Proxyless gRPC")
struct ProxylessGRPCTests {
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias Route = Envoy_Config_Route_V3_RouteConfiguration
    typealias Cluster = Envoy_Config_Cluster_V3_Cluster
    typealias Assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment
    typealias Manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias UpstreamTLS = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext

    static let echo = "echo.default.svc.cluster.local"

    static let yaml = MeshYAML.join(
        MeshYAML.service("echo", clusterIP: "10.96.7.1", ports: [("grpc", 26051, nil)]),
        MeshYAML.pod("echo-v1", ip: "10.1.7.1", labels: ["app": "echo", "version": "v1"]),
        MeshYAML.pod("echo-v2", ip: "10.1.7.2", labels: ["app": "echo", "version": "v2"]),
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: echo
          namespace: default
        spec:
          host: echo
          trafficPolicy:
            loadBalancer:
              simple: LEAST_REQUEST
            tls:
              mode: ISTIO_MUTUAL
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
            trafficPolicy:
              tls:
                mode: SIMPLE
        """,
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: echo
          namespace: default
        spec:
          hosts:
          - echo
          http:
          - match:
            - headers:
                x-canary:
                  exact: "yes"
            route:
            - destination:
                host: echo
                subset: v2
          - route:
            - destination:
                host: echo
                subset: v1
              weight: 80
            - destination:
                host: echo
              weight: 20
            timeout: 2s
            retries:
              attempts: 3
              retryOn: unavailable,5xx,cancelled
              perTryTimeout: 1s
            headers:
              request:
                set:
                  x-seen: "yes"
        """)

    static func fixture(
        identity: Bool = true, metadata: [String: String] = ["GENERATOR": "grpc"]
    ) throws
        -> MeshFixture
    {
        try MeshFixture(
            yaml: yaml, nodeID: sidecarID(ip: "10.1.7.9", pod: "client"), metadata: metadata,
            identity: identity ? WorkloadIdentity(namespace: "default", serviceAccount: "client") : nil)
    }

    @Test("GENERATOR: grpc on a sidecar id makes a proxyless gRPC client; without it the proxy is a sidecar")
    func recognised() throws {
        #expect(try Self.fixture().proxy.kind == .grpc)
        #expect(try Self.fixture(metadata: [:]).proxy.kind == .sidecar)
        #expect(throws: ProxyIdentityError.self) {
            try Proxy(nodeID: "grpc~10.1.7.9~client.default~default.svc.cluster.local", metadata: [:], labels: [:])
        }
    }

    @Test("LDS: one ApiListener per name a client may write, each an HttpConnectionManager over RDS with the router")
    func listeners() throws {
        let listeners = try Self.fixture().resources(TypeURL.listener, as: Listener.self)
        let names = [
            "\(Self.echo):26051", "echo.default.svc:26051", "echo.default:26051", "echo:26051",
        ]
        for name in names {
            let listener = try #require(listeners[name], "missing \(name) in \(listeners.keys.sorted())")
            #expect(listener.hasApiListener)
            #expect(listener.filterChains.isEmpty)
            let manager = try Manager(unpackingAny: listener.apiListener.apiListener)
            #expect(manager.rds.routeConfigName == "outbound|26051||\(Self.echo)")
            guard case .ads? = manager.rds.configSource.configSourceSpecifier else {
                Issue.record("\(name): RDS not over ADS")
                continue
            }
            #expect(manager.httpFilters.map(\.name) == ["envoy.filters.http.router"])
        }
        // No Envoy listeners: gRPC would NACK a listener without an ApiListener.
        #expect(listeners["virtualOutbound"] == nil && listeners["virtualInbound"] == nil)
        let allAPI = listeners.values.allSatisfy { $0.hasApiListener }
        #expect(allAPI)
    }

    @Test(
        "RDS: the VirtualService's routes, with only what gRPC reads: matches, weights, timeout as max_stream_duration, gRPC retries"
    )
    func routes() throws {
        let routes = try Self.fixture().resources(TypeURL.route, as: Route.self)
        let configuration = try #require(routes["outbound|26051||\(Self.echo)"])
        #expect(configuration.virtualHosts.count == 1)
        #expect(configuration.virtualHosts[0].domains == ["*"])
        let (canary, split) = (configuration.virtualHosts[0].routes[0], configuration.virtualHosts[0].routes[1])
        #expect(canary.match.headers.first?.name == "x-canary")
        #expect(canary.route.cluster == "outbound|26051|v2|\(Self.echo)")
        let weighted = split.route.weightedClusters.clusters
        #expect(weighted.map { $0.name } == ["outbound|26051|v1|\(Self.echo)", "outbound|26051||\(Self.echo)"])
        #expect(weighted.map { $0.weight.value } == [80, 20])
        #expect(split.route.maxStreamDuration.maxStreamDuration.seconds == 2)
        #expect(split.route.maxStreamDuration.grpcTimeoutHeaderMax.seconds == 2)
        #expect(split.route.retryPolicy.retryOn == "unavailable,cancelled")
        #expect(split.route.retryPolicy.numRetries.value == 3)
        #expect(!split.route.retryPolicy.hasPerTryTimeout)
        // Header rewrites are Envoy's; gRPC does not run them.
        #expect(split.requestHeadersToAdd.isEmpty)
        #expect(!split.route.hasTimeout)
    }

    @Test(
        "CDS: EDS clusters with the rule's load balancer, and ISTIO_MUTUAL from the certificate provider with exact SPIFFE SANs"
    )
    func clusters() throws {
        let clusters = try Self.fixture().resources(TypeURL.cluster, as: Cluster.self)
        let whole = try #require(clusters["outbound|26051||\(Self.echo)"])
        #expect(whole.type == .eds)
        #expect(whole.edsClusterConfig.serviceName == "outbound|26051||\(Self.echo)")
        // LEAST_REQUEST is not in gRPC's lb_policy: round robin, as istiod leaves gRPC clients.
        #expect(whole.lbPolicy == .roundRobin)
        #expect(whole.transportSocket.name == "envoy.transport_sockets.tls")
        let tls = try UpstreamTLS(unpackingAny: whole.transportSocket.typedConfig)
        #expect(tls.commonTlsContext.tlsCertificateProviderInstance.instanceName == "default")
        #expect(tls.commonTlsContext.tlsCertificateProviderInstance.certificateName == "default")
        let validation = tls.commonTlsContext.validationContext
        #expect(validation.caCertificateProviderInstance.instanceName == "default")
        #expect(validation.caCertificateProviderInstance.certificateName == "ROOTCA")
        #expect(validation.matchSubjectAltNames.map(\.exact) == ["spiffe://cluster.local/ns/default/sa/default"])
        // No Envoy-only fields that gRPC ignores (or NACKs).
        #expect(!whole.hasConnectTimeout && whole.typedExtensionProtocolOptions.isEmpty)
        #expect(clusters["outbound|26051|v1|\(Self.echo)"] != nil)
        // SIMPLE with files cannot be originated by gRPC: the cluster is not sent (never plaintext instead).
        #expect(clusters["outbound|26051|v2|\(Self.echo)"] == nil)
        #expect(clusters["BlackHoleCluster"] == nil && clusters["PassthroughCluster"] == nil)
    }

    @Test("CDS: ISTIO_MUTUAL without a workload identity is refused, not sent in plaintext")
    func mutualTLSWithoutIdentity() throws {
        let clusters = try Self.fixture(identity: false).resources(TypeURL.cluster, as: Cluster.self)
        #expect(clusters["outbound|26051||\(Self.echo)"] == nil)
    }

    @Test("EDS: every endpoint group has a locality and a weight, which gRPC requires")
    func endpoints() throws {
        let assignments = try Self.fixture().resources(TypeURL.endpoint, as: Assignment.self)
        let whole = try #require(assignments["outbound|26051||\(Self.echo)"])
        #expect(whole.endpoints.flatMap(\.lbEndpoints).count == 2)
        let weightedLocalities = whole.endpoints.allSatisfy {
            $0.hasLocality && $0.loadBalancingWeight.value == UInt32($0.lbEndpoints.count)
        }
        #expect(weightedLocalities)
        #expect(assignments["outbound|26051|v1|\(Self.echo)"]?.endpoints.flatMap(\.lbEndpoints).count == 1)
    }

    @Test("a missing name is explained: unknown host, unknown port, subset no rule defines, TLS gRPC cannot originate")
    func absenceReasons() throws {
        let fixture = try Self.fixture()
        func reason(_ type: String, _ name: String) -> String {
            fixture.translator.proxylessGRPCAbsence(
                typeURL: type, name: name, snapshot: fixture.snapshot, proxy: fixture.proxy)
        }
        #expect(reason(TypeURL.listener, "nosuch.default.svc.cluster.local:26051").contains("no service nosuch"))
        #expect(reason(TypeURL.listener, "echo:9999").contains("has no port 9999 (its ports: 26051)"))
        #expect(reason(TypeURL.listener, "echo").contains("not host:port"))
        #expect(reason(TypeURL.cluster, "outbound|26051|v9|\(Self.echo)").contains("defines subset v9"))
        let simple = reason(TypeURL.cluster, "outbound|26051|v2|\(Self.echo)")
        #expect(simple.contains("DestinationRule default/echo sets tls mode SIMPLE"))
        #expect(simple.contains("fails closed"))
        #expect(reason(TypeURL.route, "outbound|26051||other.default.svc.cluster.local").contains("no service other"))
    }

    @Test("a sidecar of the same mesh still gets Envoy's listeners")
    func sidecarUnchanged() throws {
        let listeners = try Self.fixture(metadata: [:]).resources(TypeURL.listener, as: Listener.self)
        #expect(listeners["virtualOutbound"] != nil)
        let anyAPI = listeners.values.contains { $0.hasApiListener }
        #expect(!anyAPI)
    }
}
