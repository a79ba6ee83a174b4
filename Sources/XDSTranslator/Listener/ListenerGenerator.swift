import EnvoyAPI

/// LDS: virtualOutbound (15001), one `0.0.0.0_<port>` listener per HTTP service port, one `<vip>_<port>`
/// listener per TCP service port and VIP, and virtualInbound (15006) for the proxy's own workload.
struct ListenerGenerator: ResourceGenerator {
    /// Inbound security (PeerAuthentication), authorization (AuthorizationPolicy, RequestAuthentication and the
    /// fetched key sets it inlines), TCP routes to DestinationRule subsets, for routers their Gateways, and the
    /// access logs of Telemetry.
    static let dependencies = ConfigDependencies(
        kinds: ConfigDependencies.scoping.union([
            .destinationRule, .peerAuthentication, .gateway, .authorizationPolicy, .requestAuthentication, .telemetry,
            .envoyFilter,
        ]), meshConfig: true, fetchedJWKS: true, endpoints: .ownWorkload)

    func resources(for context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        ListenerTelemetry(context).applied(to: listeners(for: context))
    }

    private func listeners(for context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        // Routers (gateways) get the listeners of the Gateways that select them instead (Gateway/).
        if context.inputs.kind == .router { return GatewayListeners.resources(for: context) }
        let security = InboundSecurity.of(context)
        let authorization = AuthorizationPlan.of(context)
        // virtualInbound: the PeerAuthentications and policies that applied, and a Sidecar whose ingress set its ports.
        // The workload's services are not read here: the inputs carry only its ports, which pods of several
        // services may share.
        let ingressSidecar = context.sidecarScope.ingress == nil ? [] : context.inputs.sidecar.map { [$0.key] } ?? []
        let inbound = Envoy_Config_Listener_V3_Listener.virtualInbound(
            context.inboundPorts, security: security, authorization: authorization)
        // virtualOutbound comes from no object unless the Sidecar sets the outbound traffic policy.
        let outboundPolicySidecar = context.inputs.sidecar.flatMap {
            $0.resource.outboundTrafficPolicy == nil ? nil : [$0.key]
        }
        let outbound = Envoy_Config_Listener_V3_Listener.virtualOutbound(
            policy: context.sidecarScope.outboundTrafficPolicy)
        return [
            TranslatedMessage(name: outbound.name, message: outbound, sources: outboundPolicySidecar ?? []),
            TranslatedMessage(
                name: inbound.name, message: inbound,
                sources: (security?.sources ?? []) + authorization.sources + ingressSidecar),
        ] + OutboundListeners.http(context) + OutboundListeners.tcp(context)
    }
}
