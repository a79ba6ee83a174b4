/// The iptables redirect the init container installs, in `iptables-restore` format: the rules of Istio's
/// `istio-iptables` in REDIRECT mode, reduced to what a sidecar needs (the same rules the end-to-end pods use,
/// `Tests/MeshTestSupport/SidecarInterception.swift`; a test keeps the two equal).
///
/// - Inbound: TCP arriving at the pod goes to Envoy's `virtualInbound` (15006), except Envoy's admin and Istio's
///   health, telemetry and HBONE ports.
/// - Outbound: TCP the pod opens goes to `virtualOutbound` (15001), except Envoy's own (uid 1337), traffic to
///   127.0.0.1, and an application talking to itself over `lo`.
enum InjectInterception {
    static let outboundPort = 15001
    static let inboundPort = 15006
    static let inboundExcludedPorts = [15000, 15008, 15020, 15021, 15090]

    static func rules(proxyUID: Int = InjectSettings.proxyUID) -> String {
        var lines = [
            "*nat",
            ":ISTIO_INBOUND - [0:0]",
            ":ISTIO_IN_REDIRECT - [0:0]",
            ":ISTIO_OUTPUT - [0:0]",
            ":ISTIO_REDIRECT - [0:0]",
            "-A PREROUTING -p tcp -j ISTIO_INBOUND",
        ]
        lines += inboundExcludedPorts.map { "-A ISTIO_INBOUND -p tcp --dport \($0) -j RETURN" }
        lines += [
            "-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT",
            "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports \(inboundPort)",
            "-A OUTPUT -p tcp -j ISTIO_OUTPUT",
            "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN",
            "-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner \(proxyUID) -j RETURN",
            "-A ISTIO_OUTPUT -m owner --uid-owner \(proxyUID) -j RETURN",
            "-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN",
            "-A ISTIO_OUTPUT -j ISTIO_REDIRECT",
            "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports \(outboundPort)",
            "COMMIT",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The init container's shell script: load the rules atomically (`--noflush` keeps the kubelet's and CNI's
    /// own nat rules), then print the table so that `kubectl logs -c istio-init` shows what was installed.
    static func script(proxyUID: Int = InjectSettings.proxyUID) -> String {
        """
        set -eu
        iptables-restore --noflush <<'RULES'
        \(rules(proxyUID: proxyUID))RULES
        iptables -t nat -S

        """
    }
}
