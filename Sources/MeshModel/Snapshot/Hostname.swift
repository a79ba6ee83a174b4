/// Hostname rules shared by the registry and the translator.
public enum Hostname {
    /// The DNS suffix of the cluster.
    public static let clusterDomain = "cluster.local"

    /// Resolves a host as written in Istio config, relative to the namespace of the object that wrote it:
    /// `reviews` -> `reviews.<ns>.svc.cluster.local`; `reviews.other` -> `reviews.other.svc.cluster.local`;
    /// names with more dots and wildcards stay as they are.
    public static func resolve(_ host: String, namespace: String) -> String {
        if host == "*" || host.hasPrefix("*") { return host }
        let dots = host.filter { $0 == "." }.count
        switch dots {
        case 0: return "\(host).\(namespace).svc.\(clusterDomain)"
        case 1: return "\(host).svc.\(clusterDomain)"
        default: return host
        }
    }

    /// The FQDN of a Kubernetes Service.
    public static func kubernetes(name: String, namespace: String) -> String {
        "\(name).\(namespace).svc.\(clusterDomain)"
    }
}
