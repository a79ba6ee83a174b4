import EnvoyAPI

/// LDS: virtualOutbound (15001), one `0.0.0.0_<port>` listener per HTTP service port, one `<vip>_<port>`
/// listener per TCP service port and VIP, and virtualInbound (15006) for the proxy's own workload.
struct ListenerGenerator: ResourceGenerator {
    func resources(for context: GenerationContext) -> [TranslatedMessage] {
        var listeners: [Envoy_Config_Listener_V3_Listener] = [
            .virtualOutbound, .virtualInbound(InboundPort.all(in: context), security: InboundSecurity.of(context)),
        ]
        listeners += OutboundListeners.http(context)
        listeners += OutboundListeners.tcp(context)
        return listeners.map { TranslatedMessage(name: $0.name, message: $0) }
    }
}
