import EnvoyAPI
import MeshModel
import Testing
import XDSTranslator

/// Behaviours of the VirtualService http translation that a user would notice, beyond the golden files.
@Suite("VirtualService http routes")
struct VirtualServiceRoutesTests {
    typealias RouteConfiguration = Envoy_Config_Route_V3_RouteConfiguration

    static let service = MeshYAML.service("shop", clusterIP: "10.96.8.1", ports: [("http", 80, nil)])

    /// The routes of shop's virtual host on port 80 for a client with `labels` in `namespace`.
    func shopRoutes(
        _ http: String, labels: [String: String] = [:], namespace: String = "default", gateways: String = ""
    ) throws -> [Envoy_Config_Route_V3_Route] {
        let yaml = MeshYAML.join(
            Self.service,
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: [shop.default.svc.cluster.local]
            \(gateways)
              http:
            \(http)
            """)
        let fixture = try MeshFixture(
            yaml: yaml, nodeID: sidecarID(ip: "10.1.8.9", pod: "client", namespace: namespace), labels: labels)
        let configuration = try #require(fixture.resources(TypeURL.route, as: RouteConfiguration.self)["80"])
        let host = try #require(configuration.virtualHosts.first { $0.name == "shop.default.svc.cluster.local:80" })
        return host.routes
    }

    @Test("sourceLabels and sourceNamespace pick routes per client")
    func sourceConditions() throws {
        let http = """
              - name: beta
                match: [{sourceLabels: {track: beta}, uri: {prefix: /}, headers: {x-a: {}}}]
                route: [{destination: {host: shop, subset: beta}}]
              - name: team
                match: [{sourceNamespace: team, uri: {prefix: /}, headers: {x-a: {}}}]
                route: [{destination: {host: shop, subset: team}}]
              - name: rest
                route: [{destination: {host: shop}}]
            """
        #expect(try shopRoutes(http).map(\.name) == ["rest"])
        #expect(try shopRoutes(http, labels: ["track": "beta"]).map(\.name) == ["beta", "rest"])
        #expect(try shopRoutes(http, namespace: "team").map(\.name) == ["team", "rest"])
    }

    @Test("routes after a catch-all are not generated; a block for another port yields nothing here")
    func catchAllAndPort() throws {
        let routes = try shopRoutes(
            """
              - name: other-port
                match: [{port: 8080, uri: {prefix: /x}}]
                route: [{destination: {host: shop, subset: a}}]
              - name: first
                match: [{uri: {prefix: /first}}, {name: all, uri: {prefix: /}}]
                route: [{destination: {host: shop, subset: b}}]
              - name: unreachable
                route: [{destination: {host: shop, subset: c}}]
            """)
        #expect(routes.map(\.name) == ["first", "first.all"])
    }

    @Test("a redirect code Envoy cannot send leaves the route out instead of producing a route Envoy refuses")
    func unsupportedRedirectCode() throws {
        let routes = try shopRoutes(
            """
              - match: [{uri: {exact: /old}}]
                redirect: {uri: /new, redirectCode: 300}
              - name: rest
                route: [{destination: {host: shop}}]
            """)
        #expect(routes.map(\.name) == ["rest"])
        #expect(routes.allSatisfy { $0.action != nil })
    }

    @Test("blocks naming a gateway are for that gateway only; mesh blocks stay")
    func blockGateways() throws {
        let routes = try shopRoutes(
            """
              - name: edge
                match: [{gateways: [istio-system/edge], uri: {prefix: /edge}}]
                route: [{destination: {host: shop}}]
              - name: mesh
                match: [{gateways: [mesh], uri: {prefix: /mesh}}]
                route: [{destination: {host: shop}}]
            """)
        #expect(routes.map(\.name) == ["mesh"])
    }

    @Test("retries: none when attempts is 0, Istio's default when unset, status codes split from conditions")
    func retries() throws {
        let routes = try shopRoutes(
            """
              - name: off
                match: [{uri: {prefix: /off}}]
                retries: {attempts: 0}
                route: [{destination: {host: shop}}]
              - name: codes
                match: [{uri: {prefix: /codes}}]
                retries: {attempts: 4, retryOn: "502,reset"}
                route: [{destination: {host: shop}}]
              - name: default
                route: [{destination: {host: shop}}]
            """)
        #expect(!routes[0].route.hasRetryPolicy)
        #expect(routes[1].route.retryPolicy.retryOn == "reset,retriable-status-codes")
        #expect(routes[1].route.retryPolicy.retriableStatusCodes == [502])
        #expect(routes[1].route.retryPolicy.numRetries.value == 4)
        let fallback = routes[2].route.retryPolicy
        #expect(fallback.numRetries.value == 2)
        #expect(fallback.retryOn == "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
        #expect(fallback.retriableStatusCodes == [503])
        #expect(fallback.retryHostPredicate.map(\.name) == ["envoy.retry_host_predicates.previous_hosts"])
        #expect(fallback.hostSelectionRetryMaxAttempts == 5)
    }

    @Test("fault and CORS reach the route through typed_per_filter_config under the filters' names")
    func perFilterConfig() throws {
        let routes = try shopRoutes(
            """
              - route: [{destination: {host: shop}}]
                fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
                corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}
            """)
        let config = try #require(routes.first?.typedPerFilterConfig)
        #expect(Set(config.keys) == ["envoy.filters.http.fault", "envoy.filters.http.cors"])
        let fault = try Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault(
            serializedBytes: try #require(config["envoy.filters.http.fault"]).value)
        #expect(fault.abort.httpStatus == 503)
        #expect(fault.abort.percentage.numerator == 1_000_000)
        #expect(fault.abort.percentage.denominator == .million)
    }

    @Test("every HTTP connection manager carries the fault and CORS filters before the router")
    func httpFilters() throws {
        let fixture = try MeshFixture(
            yaml: Self.service, nodeID: sidecarID(ip: "10.1.8.9", pod: "client"))
        let listeners = fixture.resources(TypeURL.listener, as: Envoy_Config_Listener_V3_Listener.self)
        let managers = listeners.values.flatMap(\.filterChains).flatMap(\.filters)
            .filter { $0.name == "envoy.filters.network.http_connection_manager" }
        #expect(!managers.isEmpty)
        for filter in managers {
            let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                serializedBytes: filter.typedConfig.value)
            #expect(
                manager.httpFilters.map(\.name)
                    == ["envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router"])
        }
    }
}
