public import MeshModel

/// Where a Sidecar ingress listener's `defaultEndpoint` sends inbound traffic, parsed in one place for the cluster
/// generator and for callers that cache generated config per proxy view (which must know what the generator reads).
public enum SidecarIngressEndpoint: Sendable, Hashable {
    /// No default endpoint: the cluster is ORIGINAL_DST, like a derived inbound cluster.
    case originalDestination
    /// `unix:///path`.
    case pipe(path: String)
    /// `127.0.0.1:P`, `[::1]:P`: a fixed address.
    case socket(host: String, port: Int)
    /// `0.0.0.0:P`, `[::]:P` (or `:P`): the workload's own address, which is the proxy's first IP.
    case workload(port: Int)

    /// Parses `defaultEndpoint`; a form validation refused (so never seen here) falls back to ORIGINAL_DST.
    public init(_ defaultEndpoint: String?) {
        guard let text = defaultEndpoint, !text.isEmpty else {
            self = .originalDestination
            return
        }
        if text.hasPrefix("unix://") {
            self = .pipe(path: String(text.dropFirst("unix://".count)))
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            self = .originalDestination
            return
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self =
            host.isEmpty || host == "0.0.0.0" || host == "::" ? .workload(port: port) : .socket(host: host, port: port)
    }

    /// Whether the inbound clusters generated under `sidecar` read the proxy's address (`proxy.ipAddresses.first`):
    /// true when one of its ingress listeners with a port sends to the workload's own address. Proxies that share
    /// generated clusters must then also share that address.
    static func readsProxyAddress(_ sidecar: Sidecar) -> Bool {
        sidecar.ingress.contains { listener in
            guard listener.port != nil, case .workload = SidecarIngressEndpoint(listener.defaultEndpoint) else {
                return false
            }
            return true
        }
    }
}
