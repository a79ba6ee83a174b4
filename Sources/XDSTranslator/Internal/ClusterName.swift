/// Istio's cluster names, which operators read in config dumps and stats.
public enum ClusterName {
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

    /// The hostname of an `outbound|<port>|<subset>|<fqdn>` cluster name; nil for any other name.
    public static func hostname(of name: String) -> String? {
        let parts = name.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "outbound" else { return nil }
        return String(parts[3])
    }
}
