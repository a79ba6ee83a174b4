import EnvoyAPI
import SwiftProtobuf

extension Envoy_Config_Listener_V3_Listener {
    static let virtualInboundName = "virtualInbound"
    static let virtualInboundPort = 15006

    /// `virtualInbound` on 0.0.0.0:15006: iptables redirects inbound connections here; the original_dst
    /// listener filter restores the port the client dialled, which selects a filter chain per workload port.
    /// Other ports fall through to `InboundPassthroughCluster`.
    ///
    /// With `security` (the proxy has an identity), each port gets chains by its PeerAuthentication mode: a
    /// mutual TLS chain (STRICT, PERMISSIVE), a plaintext chain (PERMISSIVE, DISABLE), and the TLS inspector tells
    /// them apart. STRICT has no plaintext chain: its one chain matches any transport, so a plaintext client fails
    /// the TLS handshake instead of slipping through to another chain.
    ///
    /// `authorization` (AuthorizationPolicy and RequestAuthentication) puts its HTTP filters in every HTTP chain and
    /// its network filters before tcp_proxy in every TCP chain, the catch-all passthrough chain included, as istiod
    /// does for inbound passthrough chains: a default-deny workload refuses traffic to undeclared ports too.
    static func virtualInbound(
        _ ports: [InboundPort], security: InboundSecurity? = nil, authorization: AuthorizationPlan = .empty
    ) -> Self {
        var listener = Self()
        listener.name = virtualInboundName
        listener.address = ProtoValues.socketAddress("0.0.0.0", port: virtualInboundPort)
        listener.trafficDirection = .inbound
        var originalDst = Envoy_Config_Listener_V3_ListenerFilter()
        originalDst.name = NetworkFilters.originalDstName
        originalDst.typedConfig = packAny(Envoy_Extensions_Filters_Listener_OriginalDst_V3_OriginalDst())
        listener.listenerFilters = [originalDst]
        var catchAll = NetworkFilters.filterChain(
            name: "virtualInbound-catchall",
            filters: authorization.networkFilters + [NetworkFilters.tcpProxy(to: ClusterName.inboundPassthrough)])
        guard let security else {
            listener.filterChains = ports.map { inboundChain($0, mutualTLS: nil, authorization: authorization) }
            listener.defaultFilterChain = catchAll
            return listener
        }
        var inspector = Envoy_Config_Listener_V3_ListenerFilter()
        inspector.name = NetworkFilters.tlsInspectorName
        inspector.typedConfig = packAny(Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector())
        listener.listenerFilters.append(inspector)
        let tls = TLSContexts.meshDownstream(trustDomain: security.trustDomain)
        listener.filterChains = ports.flatMap { port -> [Envoy_Config_Listener_V3_FilterChain] in
            let accepts = security.accepts(port: port.port)
            var chains: [Envoy_Config_Listener_V3_FilterChain] = []
            if accepts.mutualTLS {
                chains.append(
                    inboundChain(port, mutualTLS: (tls, onlyMeshALPN: accepts.plaintext), authorization: authorization))
            }
            if accepts.plaintext { chains.append(inboundChain(port, mutualTLS: nil, authorization: authorization)) }
            return chains
        }
        // Ports no service names follow the workload-wide mode too: under STRICT they need mutual TLS as well.
        if security.modes.mode == .strict { catchAll.transportSocket = tls }
        listener.defaultFilterChain = catchAll
        return listener
    }

    /// One chain of a workload port: HTTP ports get an HttpConnectionManager with an inline route to the inbound
    /// cluster, the rest tcp_proxy. A mutual TLS chain terminates TLS; when plaintext is also accepted it only
    /// matches TLS with the mesh's ALPN, so other traffic reaches the plaintext chain.
    private static func inboundChain(
        _ port: InboundPort,
        mutualTLS: (socket: Envoy_Config_Core_V3_TransportSocket, onlyMeshALPN: Bool)?,
        authorization: AuthorizationPlan
    ) -> Envoy_Config_Listener_V3_FilterChain {
        let cluster = ClusterName.inbound(port: port.port)
        let name = "inbound_0.0.0.0_\(port.port)"
        let filters =
            port.protocol.isHTTP
            ? [
                NetworkFilters.httpConnectionManager(
                    statPrefix: name, routes: .routeConfig(InboundRoutes.configuration(port.port)),
                    setClientCert: mutualTLS != nil, securityFilters: authorization.httpFilters)
            ]
            : authorization.networkFilters + [NetworkFilters.tcpProxy(to: cluster)]
        var chain = NetworkFilters.filterChain(name: mutualTLS == nil ? name : "\(name)_mtls", filters: filters)
        var match = Envoy_Config_Listener_V3_FilterChainMatch()
        match.destinationPort = ProtoValues.uint32(port.port)
        if let mutualTLS {
            chain.transportSocket = mutualTLS.socket
            if mutualTLS.onlyMeshALPN {
                match.transportProtocol = "tls"
                match.applicationProtocols = TLSContexts.meshServerALPNMatch
            }
        }
        chain.filterChainMatch = match
        return chain
    }
}
