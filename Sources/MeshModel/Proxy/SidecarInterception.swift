/// The iptables rules that Istio's init container (`istio-iptables`) installs in a pod, reduced to what a
/// sidecar in REDIRECT mode needs. `meshd inject` puts them in the init container; the end-to-end pods install
/// the very same rules.
///
/// - Inbound: every TCP connection arriving at the pod goes to Envoy's `virtualInbound` listener (15006),
///   except the ports listed in `inboundExcludedPorts`.
/// - Outbound: every TCP connection the pod opens goes to Envoy's `virtualOutbound` listener (15001), except
///   Envoy's own (uid 1337), connections to 127.0.0.1, and an application's connections over `lo` (to itself).
public enum SidecarInterception {
    public static let outboundPort = 15001
    public static let inboundPort = 15006
    /// The uid Envoy runs as in an Istio pod; its own connections are never redirected.
    public static let proxyUID = 1337
    /// Envoy admin (15000), Istio's health and telemetry ports (15020, 15021, 15090) and HBONE (15008).
    public static let inboundExcludedPorts = [15000, 15008, 15020, 15021, 15090]

    /// The nat table in `iptables-restore` format, capturing what `settings` say (everything by default).
    public static func rules(proxyUID: Int = proxyUID, settings: InterceptionSettings = InterceptionSettings()) -> String {
        var lines = [
            "*nat",
            ":ISTIO_INBOUND - [0:0]",
            ":ISTIO_IN_REDIRECT - [0:0]",
            ":ISTIO_OUTPUT - [0:0]",
            ":ISTIO_REDIRECT - [0:0]",
        ]
        if let ports = settings.includeInboundPorts {
            // Only the listed ports; none at all leaves inbound traffic alone.
            if !ports.isEmpty { lines.append("-A PREROUTING -p tcp -j ISTIO_INBOUND") }
            lines += ports.map { "-A ISTIO_INBOUND -p tcp --dport \($0) -j ISTIO_IN_REDIRECT" }
        } else {
            lines.append("-A PREROUTING -p tcp -j ISTIO_INBOUND")
            var excluded = inboundExcludedPorts
            for port in settings.excludeInboundPorts where !excluded.contains(port) { excluded.append(port) }
            lines += excluded.map { "-A ISTIO_INBOUND -p tcp --dport \($0) -j RETURN" }
            lines.append("-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT")
        }
        lines += [
            "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports \(inboundPort)",
            "-A OUTPUT -p tcp -j ISTIO_OUTPUT",
        ]
        lines += settings.excludeOutboundPorts.map { "-A ISTIO_OUTPUT -p tcp --dport \($0) -j RETURN" }
        lines += [
            // Envoy's inbound connections to the app, when bound to 127.0.0.6 as Istio's are.
            "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN",
            // An application talking to itself over lo is not mesh traffic.
            "-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner \(proxyUID) -j RETURN",
            // Envoy's own upstream connections must not loop back into Envoy.
            "-A ISTIO_OUTPUT -m owner --uid-owner \(proxyUID) -j RETURN",
            "-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN",
        ]
        lines += settings.includeOutboundPorts.map { "-A ISTIO_OUTPUT -p tcp --dport \($0) -j ISTIO_REDIRECT" }
        lines += settings.excludeOutboundIPRanges.map { "-A ISTIO_OUTPUT -d \($0) -j RETURN" }
        if let ranges = settings.includeOutboundIPRanges {
            lines += ranges.map { "-A ISTIO_OUTPUT -d \($0) -j ISTIO_REDIRECT" }
        } else {
            lines.append("-A ISTIO_OUTPUT -j ISTIO_REDIRECT")
        }
        lines += [
            "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports \(outboundPort)",
            "COMMIT",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
