public import MeshModel
public import XDSServer

/// Which configuration objects produced a generated resource, from its Istio-style name. Used to explain
/// a NACK in terms the operator wrote: "route 9080 came from VirtualService/default/reviews in
/// reviews.yaml:3".
public enum ResourceProvenance {
    /// The objects behind resource `name` of `type` in `snapshot`, sorted by key. Empty when the name does
    /// not follow a known pattern (e.g. `virtualOutbound`, which comes from no object).
    public static func objects(of name: String, type: XDSType, in snapshot: MeshSnapshot) -> [ConfigObject] {
        let keys: Set<ResourceKey>
        switch type {
        case .cluster, .endpoint:
            keys = clusterSources(name, type: type, snapshot)
        case .listener:
            keys = listenerSources(name, snapshot)
        case .route:
            keys = routeSources(name, snapshot)
        case .secret:
            keys = []
        }
        return keys.sorted().compactMap { snapshot.objects[$0] }
    }

    private static func clusterSources(_ name: String, type: XDSType, _ snapshot: MeshSnapshot) -> Set<ResourceKey> {
        let parts = name.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "outbound", let port = Int(parts[1]) else { return [] }
        let hostname = parts[3]
        var keys: Set<ResourceKey> = []
        if let service = snapshot.servicesByHostname[hostname] { keys.insert(service.origin) }
        for rule in snapshot.destinationRulesByHost[hostname] ?? [] where parts[2].isEmpty || rule.subsets.contains(where: { $0.name == parts[2] }) {
            keys.insert(ResourceKey(kind: .destinationRule, namespace: rule.meta.namespace, name: rule.meta.name))
        }
        if type == .endpoint {
            for endpoint in snapshot.endpoints(hostname: hostname, port: port).prefix(20) { keys.insert(endpoint.origin) }
        }
        return keys
    }

    private static func listenerSources(_ name: String, _ snapshot: MeshSnapshot) -> Set<ResourceKey> {
        guard let underscore = name.lastIndex(of: "_"), let port = Int(name[name.index(after: underscore)...]) else { return [] }
        let address = String(name[..<underscore])
        return Set(
            snapshot.services.filter { service in
                service.port(port) != nil && (address == "0.0.0.0" || service.addresses.contains(address))
            }.map(\.origin))
    }

    private static func routeSources(_ name: String, _ snapshot: MeshSnapshot) -> Set<ResourceKey> {
        guard let port = Int(name) else { return [] }
        var keys: Set<ResourceKey> = []
        for service in snapshot.services where service.port(port)?.protocol.isHTTP == true {
            keys.insert(service.origin)
            for virtualService in snapshot.virtualServicesByHost[service.hostname] ?? [] {
                keys.insert(ResourceKey(kind: .virtualService, namespace: virtualService.meta.namespace, name: virtualService.meta.name))
            }
        }
        return keys
    }
}
