extension WorkloadGroup {
    /// The annotation naming the group an auto-registered WorkloadEntry was made from (istiod's).
    public static let groupAnnotation = "istio.io/autoRegistrationGroup"

    /// The name istiod gives the entry a proxy registers: `<group>-<first IP>[-<network>]` (an IPv6 address with `-`
    /// for `:`), keeping the last 253 characters of a longer one.
    public static func entryName(group: String, address: String, network: String?) -> String {
        var parts = [group, address.replacingColons()]
        if let network, !network.isEmpty { parts.append(network) }
        let name = parts.joined(separator: "-")
        return name.count > 253 ? String(name.suffix(253)) : name
    }

    /// The WorkloadEntry that `proxy` registers from this group, as istiod builds it: the template with the proxy's
    /// first IP as its address, labels from the template, then the group's `metadata.labels`, then the proxy's own
    /// (each winning over the last), the group's annotations with the group named, and the proxy's network and locality. Nil when
    /// the proxy has no IP.
    public func registeredEntry(for proxy: Proxy) -> WorkloadEntry? {
        guard let address = proxy.ipAddresses.first else { return nil }
        var spec = template
        spec.address = address
        spec.labels.merge(labels) { _, new in new }
        spec.labels.merge(proxy.labels) { _, new in new }
        if let network = proxy.network { spec.network = network }
        if let locality = proxy.locality { spec.locality = locality }
        var entryAnnotations = [Self.groupAnnotation: meta.name]
        entryAnnotations.merge(annotations) { _, new in new }
        let name = Self.entryName(group: meta.name, address: address, network: proxy.network)
        return WorkloadEntry(
            meta: ObjectMeta(
                name: name, namespace: proxy.namespace, labels: spec.labels, annotations: entryAnnotations),
            spec: spec)
    }
}

extension String {
    fileprivate func replacingColons() -> String { String(map { $0 == ":" ? "-" : $0 }) }
}
