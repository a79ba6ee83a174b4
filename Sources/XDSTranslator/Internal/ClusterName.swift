/// Istio's cluster names, which operators read in config dumps and stats.
enum ClusterName {
    static let blackHole = "BlackHoleCluster"
    static let passthrough = "PassthroughCluster"
    static let inboundPassthrough = "InboundPassthroughCluster"

    /// `outbound|<port>|<subset>|<fqdn>`; the subset is empty for the whole service.
    static func outbound(port: Int, subset: String? = nil, hostname: String) -> String {
        "outbound|\(port)|\(subset ?? "")|\(hostname)"
    }

    /// `inbound|<port>||`, where the port is the workload's (target) port.
    static func inbound(port: Int) -> String {
        "inbound|\(port)||"
    }
}
