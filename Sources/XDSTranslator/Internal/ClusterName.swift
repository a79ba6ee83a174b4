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
        guard name.hasPrefix("outbound|") else { return nil }
        let parts = name.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "outbound" else { return nil }
        return String(parts[3])
    }

    /// Whether `name` is an `outbound|<port>|<subset>|<fqdn>` cluster of one of `hostnames`: `hostname(of:)` and a
    /// lookup, without splitting the name or building a String when few hostnames are asked about (an endpoint
    /// change asks this of every cluster name a proxy holds).
    public static func isOutbound(_ name: String, ofOneOf hostnames: Set<String>) -> Bool {
        guard hostnames.count <= 8 else { return hostname(of: name).map(hostnames.contains) ?? false }
        guard name.hasPrefix("outbound|") else { return false }
        // A name that does not end in the hostname cannot be its cluster; one that does is parsed to be sure (the
        // fqdn must be the whole last field).
        return hostnames.contains { name.utf8.count > $0.utf8.count && name.hasSuffix($0) && hostname(of: name) == $0 }
    }
}
