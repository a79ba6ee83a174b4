import EnvoyAPI
import Testing
import XDSTranslator

@Suite("LDS")
struct ListenerTests {
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias TcpProxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy

    static let mixed = MeshYAML.join(
        MeshYAML.service("web", clusterIP: "10.96.6.1", ports: [("http", 5000, 8080), ("tcp-admin", 7000, nil)]),
        MeshYAML.service("legacy", clusterIP: "10.96.6.2", ports: [("tcp", 5000, nil)]),
        MeshYAML.service("headless", clusterIP: "None", ports: [("tcp", 9042, nil)]),
        MeshYAML.pod("web-1", ip: "10.1.6.1", labels: ["app": "web"]),
        MeshYAML.pod("headless-1", ip: "10.1.6.3", labels: ["app": "headless"]))

    private func listeners(nodeID: String = sidecarID(ip: "10.1.6.9", pod: "client")) throws -> [String: Listener] {
        try MeshFixture(yaml: Self.mixed, nodeID: nodeID).resources(TypeURL.listener, as: Listener.self)
    }

    @Test("virtualOutbound takes 15001 with use_original_dst and falls through to PassthroughCluster")
    func virtualOutbound() throws {
        let listener = try #require(try listeners()["virtualOutbound"])
        #expect(listener.address.socketAddress.portValue == 15001)
        #expect(listener.useOriginalDst.value)
        #expect(listener.trafficDirection == .outbound)
        let chain = try #require(listener.filterChains.first)
        #expect(chain.name == "virtualOutbound-catchall-tcp")
        let proxy = try TcpProxy(unpackingAny: chain.filters[0].typedConfig)
        #expect(proxy.cluster == "PassthroughCluster")
    }

    @Test("an HTTP port gets 0.0.0.0_<port>, not bound, with routes from RDS named by the port")
    func httpListener() throws {
        let listener = try #require(try listeners()["0.0.0.0_5000"])
        #expect(listener.bindToPort.value == false)
        #expect(listener.hasBindToPort)
        #expect(listener.address.socketAddress.address == "0.0.0.0")
        let filter = try #require(listener.filterChains.first?.filters.first)
        #expect(filter.name == "envoy.filters.network.http_connection_manager")
        let manager = try HCM(unpackingAny: filter.typedConfig)
        #expect(manager.rds.routeConfigName == "5000")
        #expect(manager.statPrefix == "outbound_0.0.0.0_5000")
        #expect(
            manager.httpFilters.map(\.name)
                == ["envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router"])
    }

    @Test("a TCP port gets a listener per VIP to its cluster, also when an HTTP port shares the number")
    func tcpListeners() throws {
        let all = try listeners()
        let legacy = try #require(all["10.96.6.2_5000"])
        #expect(legacy.bindToPort.value == false)
        let proxy = try TcpProxy(unpackingAny: legacy.filterChains[0].filters[0].typedConfig)
        #expect(proxy.cluster == "outbound|5000||legacy.default.svc.cluster.local")
        #expect(proxy.statPrefix == proxy.cluster)
        #expect(all["10.96.6.1_7000"] != nil)
        #expect(all.keys.filter { $0.hasSuffix("_9042") }.isEmpty, "a headless TCP service has no VIP to listen on")
    }

    @Test("virtualInbound has one chain per target port of the proxy's workload and a passthrough default")
    func virtualInbound() throws {
        let listener = try #require(try listeners(nodeID: sidecarID(ip: "10.1.6.1", pod: "web-1"))["virtualInbound"])
        #expect(listener.address.socketAddress.portValue == 15006)
        #expect(listener.trafficDirection == .inbound)
        #expect(listener.listenerFilters.map(\.name) == ["envoy.filters.listener.original_dst"])
        #expect(listener.filterChains.map(\.filterChainMatch.destinationPort.value) == [7000, 8080])

        let http = try HCM(unpackingAny: listener.filterChains[1].filters[0].typedConfig)
        let route = try #require(http.routeConfig.virtualHosts.first?.routes.first)
        #expect(http.routeConfig.name == "inbound|8080||")
        #expect(route.route.cluster == "inbound|8080||")
        #expect(route.match.prefix == "/")
        #expect(route.route.timeout.seconds == 0)

        let tcp = try TcpProxy(unpackingAny: listener.filterChains[0].filters[0].typedConfig)
        #expect(tcp.cluster == "inbound|7000||")
        let fallback = try TcpProxy(unpackingAny: listener.defaultFilterChain.filters[0].typedConfig)
        #expect(fallback.cluster == "InboundPassthroughCluster")
    }

    @Test("a proxy with no workload of its own gets an inbound listener with only the default chain")
    func noInboundPorts() throws {
        let listener = try #require(try listeners()["virtualInbound"])
        #expect(listener.filterChains.isEmpty)
        #expect(listener.hasDefaultFilterChain)
    }

    @Test("a service on the proxy's capture ports gets no 0.0.0.0 listener, which Envoy would reject as a duplicate")
    func reservedPorts() throws {
        let yaml = MeshYAML.join(
            MeshYAML.service(
                "odd", clusterIP: "10.96.6.5",
                ports: [("http", 15001, nil), ("http-in", 15006, nil), ("http-ok", 80, nil)]))
        let fixture = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.6.9", pod: "client"))
        let names = Set(fixture.resources(TypeURL.listener, as: Listener.self).keys)
        #expect(names == ["virtualOutbound", "virtualInbound", "0.0.0.0_80"])
        #expect(fixture.messages(TypeURL.route).map(\.name) == ["80"])
    }
}
