import EnvoyAPI
import Testing
import XDSTranslator

@Suite("RDS")
struct RouteTests {
    typealias RouteConfiguration = Envoy_Config_Route_V3_RouteConfiguration

    private func reviewsHost(_ fixture: MeshFixture) throws -> Envoy_Config_Route_V3_VirtualHost {
        let configuration = try #require(fixture.resources(TypeURL.route, as: RouteConfiguration.self)["9080"])
        return try #require(configuration.virtualHosts.first { $0.name == "\(Bookinfo.reviews):9080" })
    }

    @Test("the 80/20 split becomes weighted clusters with those weights")
    func weightedSplit() throws {
        let host = try reviewsHost(Bookinfo.fixture())
        let split = try #require(host.routes.first { $0.name == "split" })
        let clusters = split.route.weightedClusters.clusters
        #expect(
            clusters.map(\.name) == ["outbound|9080|v1|\(Bookinfo.reviews)", "outbound|9080|v3|\(Bookinfo.reviews)"])
        #expect(clusters.map(\.weight.value) == [80, 20])
        #expect(split.match.prefix == "/")
    }

    @Test("routes keep the VirtualService's order: header match, then URI prefix, then the split")
    func routeOrderAndMatches() throws {
        let host = try reviewsHost(Bookinfo.fixture())
        #expect(host.routes.map(\.name) == ["jason", "api", "split"])
        let jason = host.routes[0]
        #expect(jason.match.headers.map(\.name) == ["end-user"])
        #expect(jason.match.headers.first?.stringMatch.exact == "jason")
        #expect(jason.route.cluster == "outbound|9080|v2|\(Bookinfo.reviews)")
        #expect(host.routes[1].match.prefix == "/api/")
        #expect(host.routes.allSatisfy { $0.route.timeout.seconds == 0 && $0.route.hasTimeout })
    }

    @Test("a route to an unknown subset still names its cluster, and the configuration does not validate clusters")
    func unknownSubset() throws {
        let fixture = try Bookinfo.fixture()
        let host = try reviewsHost(fixture)
        let api = try #require(host.routes.first { $0.name == "api" })
        #expect(api.route.cluster == "outbound|9080|v9|\(Bookinfo.reviews)")
        let configuration = try #require(fixture.resources(TypeURL.route, as: RouteConfiguration.self)["9080"])
        #expect(configuration.hasValidateClusters && configuration.validateClusters.value == false)
    }

    @Test("a service without a VirtualService gets one default route to its cluster")
    func defaultRoute() throws {
        let configuration = try #require(
            try Bookinfo.fixture().resources(TypeURL.route, as: RouteConfiguration.self)["9080"])
        let host = try #require(
            configuration.virtualHosts.first { $0.name == "productpage.default.svc.cluster.local:9080" })
        #expect(host.routes.count == 1)
        #expect(host.routes[0].name == "default")
        #expect(host.routes[0].route.cluster == "outbound|9080||productpage.default.svc.cluster.local")
    }

    @Test("domains: short names only in the proxy's namespace, VIPs, and never one domain twice")
    func domains() throws {
        let configuration = try #require(
            try Bookinfo.fixture().resources(TypeURL.route, as: RouteConfiguration.self)["9080"])
        let all = configuration.virtualHosts.flatMap(\.domains)
        #expect(all.count == Set(all).count, "duplicate domains: \(all)")
        let reviews = try #require(configuration.virtualHosts.first { $0.name == "\(Bookinfo.reviews):9080" })
        #expect(
            reviews.domains == [
                Bookinfo.reviews, "\(Bookinfo.reviews):9080", "reviews", "reviews:9080", "reviews.default",
                "reviews.default:9080",
                "reviews.default.svc", "reviews.default.svc:9080", "10.96.0.11", "10.96.0.11:9080",
            ])
        let details = try #require(
            configuration.virtualHosts.first { $0.name == "details.other.svc.cluster.local:9080" })
        #expect(!details.domains.contains("details"))
        #expect(details.domains.contains("details.other"))
        #expect(configuration.virtualHosts.last?.name == "allow_any")
        #expect(configuration.virtualHosts.last?.domains == ["*"])
        #expect(configuration.virtualHosts.last?.routes.first?.route.cluster == "PassthroughCluster")
    }

    @Test("two services claiming one VIP: the second virtual host does not repeat it")
    func sharedVIPIsNotDuplicated() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("a", clusterIP: "10.96.7.1", ports: [("http", 80, nil)]),
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: b
              namespace: default
            spec:
              hosts: [b.example.com]
              addresses: [10.96.7.1]
              resolution: STATIC
              ports:
              - {number: 80, name: http, protocol: HTTP}
            """)
        let configuration = try #require(
            try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.7.9", pod: "client"))
                .resources(TypeURL.route, as: RouteConfiguration.self)["80"])
        let all = configuration.virtualHosts.flatMap(\.domains)
        #expect(all.count == Set(all).count, "duplicate domains: \(all)")
        #expect(all.filter { $0 == "10.96.7.1" }.count == 1)
    }

    @Test("a VirtualService bound only to a gateway does not change sidecar routes")
    func gatewayOnlyVirtualService() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("shop", clusterIP: "10.96.8.1", ports: [("http", 80, nil)]),
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: shop-edge
              namespace: default
            spec:
              hosts: [shop]
              gateways: [edge-gateway]
              http:
              - route:
                - destination: {host: shop, subset: canary}
            """)
        let configuration = try #require(
            try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.8.9", pod: "client"))
                .resources(TypeURL.route, as: RouteConfiguration.self)["80"])
        let host = try #require(configuration.virtualHosts.first { $0.name == "shop.default.svc.cluster.local:80" })
        #expect(host.routes.map(\.route.cluster) == ["outbound|80||shop.default.svc.cluster.local"])
    }

    @Test("a destination without a port uses the destination service's only port")
    func destinationPort() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("front", clusterIP: "10.96.9.1", ports: [("http", 80, nil)]),
            MeshYAML.service("back", clusterIP: "10.96.9.2", ports: [("http", 8080, nil)]),
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: front
              namespace: default
            spec:
              hosts: [front]
              http:
              - match:
                - uri: {regex: "/v[0-9]+/.*"}
                route:
                - destination: {host: back}
            """)
        let configuration = try #require(
            try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.9.9", pod: "client"))
                .resources(TypeURL.route, as: RouteConfiguration.self)["80"])
        let host = try #require(configuration.virtualHosts.first { $0.name == "front.default.svc.cluster.local:80" })
        #expect(host.routes.first?.route.cluster == "outbound|8080||back.default.svc.cluster.local")
        #expect(host.routes.first?.match.safeRegex.regex == "/v[0-9]+/.*")
    }

    /// istiod refuses `prefix: ""` for a header (Envoy would too); `{}` is how Istio YAML asks for presence.
    @Test("a header match without a value ({}) becomes present_match")
    func emptyHeaderMatchIsPresence() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service("shop", clusterIP: "10.96.8.1", ports: [("http", 80, nil)]),
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: shop
              namespace: default
            spec:
              hosts: [shop]
              http:
              - match:
                - headers:
                    x-debug: {}
                    x-user: {regex: "admin-.*"}
                route:
                - destination: {host: shop}
            """)
        let configuration = try #require(
            try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.8.9", pod: "client"))
                .resources(TypeURL.route, as: RouteConfiguration.self)["80"])
        let host = try #require(configuration.virtualHosts.first { $0.name == "shop.default.svc.cluster.local:80" })
        let headers = try #require(host.routes.first?.match.headers)
        #expect(headers.map(\.name) == ["x-debug", "x-user"])
        #expect(headers[0].presentMatch)
        #expect(headers[1].stringMatch.safeRegex.regex == "admin-.*")
    }
}
