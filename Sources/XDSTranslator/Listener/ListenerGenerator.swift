import EnvoyAPI

/// LDS: virtualOutbound (15001), one `0.0.0.0_<port>` listener per HTTP service port, one `<vip>_<port>`
/// listener per TCP service port and VIP, and virtualInbound (15006) for the proxy's own workload.
struct ListenerGenerator: ResourceGenerator {
    /// Inbound security (PeerAuthentication), authorization (AuthorizationPolicy, RequestAuthentication and the
    /// fetched key sets it inlines), TCP routes to DestinationRule subsets, and for routers their Gateways.
    static let dependencies = ConfigDependencies(
        kinds: ConfigDependencies.scoping.union([
            .destinationRule, .peerAuthentication, .gateway, .authorizationPolicy, .requestAuthentication,
        ]), meshConfig: true, fetchedJWKS: true, endpoints: .ownWorkload)

    func resources(for context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        // Routers (gateways) get the listeners of the Gateways that select them instead (Gateway/).
        if context.inputs.kind == .router { return GatewayListeners.resources(for: context) }
        var listeners: [Envoy_Config_Listener_V3_Listener] = [
            .virtualOutbound(policy: context.sidecarScope.outboundTrafficPolicy),
            .virtualInbound(
                context.inboundPorts, security: InboundSecurity.of(context), authorization: AuthorizationPlan.of(context)),
        ]
        listeners += OutboundListeners.http(context)
        listeners += OutboundListeners.tcp(context)
        return listeners.map { TranslatedMessage(name: $0.name, message: $0) }
    }
}
