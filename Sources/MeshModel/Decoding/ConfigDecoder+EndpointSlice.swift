extension ConfigDecoder {
    /// The top-level fields of an EndpointSlice, which has no `spec`.
    static let endpointSliceFields: Set<String> = ["addressType", "endpoints", "ports"]

    /// Kubernetes `discovery.k8s.io/v1` EndpointSlice. Hints, `hostname`, `deprecatedTopology` and the `serving`
    /// and `terminating` conditions do not affect routing yet and are ignored silently.
    static func decodeEndpointSlice(meta: ObjectMeta, root: YAMLMapping) -> EndpointSlice {
        let addressType: EndpointSliceAddressType
        switch root.string("addressType") {
        case nil:
            root.context.error("addressType", "required; expected one of IPv4, IPv6, FQDN")
            addressType = .ipv4
        case let text?:
            if let known = EndpointSliceAddressType(rawValue: text) {
                addressType = known
            } else {
                root.context.error("addressType", "\"\(text)\" is not supported; expected one of IPv4, IPv6, FQDN")
                addressType = .ipv4
            }
        }
        let endpoints = root.sequence("endpoints").compactMap { item -> SliceEndpoint? in
            guard let endpoint = item.mapping() else { return nil }
            let target = endpoint.mapping("targetRef").map { ref in
                SliceTargetRef(
                    kind: ref.string("kind") ?? "", name: ref.string("name") ?? "", namespace: ref.string("namespace"))
            }
            return SliceEndpoint(
                addresses: endpoint.stringList("addresses"),
                ready: endpoint.mapping("conditions")?.bool("ready") ?? true, targetRef: target,
                nodeName: endpoint.string("nodeName"), zone: endpoint.string("zone"))
        }
        let ports = root.sequence("ports").compactMap { item -> SlicePort? in
            guard let port = item.mapping() else { return nil }
            return SlicePort(
                name: port.string("name") ?? "", port: port.int("port", .int32),
                transportProtocol: port.string("protocol") ?? "TCP")
        }
        return EndpointSlice(meta: meta, addressType: addressType, endpoints: endpoints, ports: ports)
    }
}
