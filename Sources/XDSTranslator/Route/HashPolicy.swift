import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// The route half of a DestinationRule `consistentHash`: the cluster gets RING_HASH or MAGLEV (Cluster/
/// LoadBalancing.swift), and every route to it says what to hash (`hash_policy`), as istiod's route.go does.
enum HashPolicy {
    typealias Policy = Envoy_Config_Route_V3_RouteAction.HashPolicy

    /// The hash policies of a VirtualService route's destinations, one per destination whose DestinationRule
    /// (for a client in `clientNamespace`) hashes, in destination order. `namespace` resolves short hosts.
    static func policies(
        for destinations: [Destination], namespace: String, snapshot: MeshSnapshot, clientNamespace: String
    ) -> [Policy] {
        destinations.compactMap { destination in
            let hostname = Hostname.resolve(destination.host, namespace: namespace)
            let rule = snapshot.destinationRule(for: hostname, clientNamespace: clientNamespace)
            return rule?.consistentHash(port: destination.port, subset: destination.subset).flatMap(policy)
        }
    }

    /// The hash policy of the default route to a service port (no VirtualService): the rule's top-level hash,
    /// overridden by a port-level one for that port.
    static func policies(
        forService hostname: String, port: Int, snapshot: MeshSnapshot, clientNamespace: String
    )
        -> [Policy]
    {
        let rule = snapshot.destinationRule(for: hostname, clientNamespace: clientNamespace)
        return (rule?.consistentHash(port: port, subset: nil).flatMap(policy)).map { [$0] } ?? []
    }

    /// One Envoy hash policy for a consistent hash key; nil when the rule names no key.
    static func policy(_ hash: ConsistentHashLB) -> Policy? {
        var policy = Policy()
        switch hash.key {
        case .header(let name):
            var header = Policy.Header()
            header.headerName = name
            policy.header = header
        case .cookie(let cookie):
            var envoyCookie = Policy.Cookie()
            envoyCookie.name = cookie.name
            envoyCookie.path = cookie.path ?? ""
            if let ttl = cookie.ttl { envoyCookie.ttl = ProtoValues.duration(ttl) }
            policy.cookie = envoyCookie
        case .sourceIP:
            var properties = Policy.ConnectionProperties()
            properties.sourceIp = true
            policy.connectionProperties = properties
        case .queryParameter(let name):
            var parameter = Policy.QueryParameter()
            parameter.name = name
            policy.queryParameter = parameter
        case nil:
            return nil
        }
        return policy
    }
}
