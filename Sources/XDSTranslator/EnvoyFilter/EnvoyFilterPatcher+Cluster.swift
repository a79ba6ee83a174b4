import EnvoyAPI
import MeshModel
import SwiftProtobuf

extension EnvoyFilterPatcher {
    /// CDS with the CLUSTER patches applied: REMOVE drops a matching cluster, MERGE (and MERGE_AND_REPLACE_LIST)
    /// merges into it (a transport socket of the same name merges its typed config rather than being replaced),
    /// ADD appends clusters.
    static func patchClusters(
        _ messages: [TranslatedMessage], _ patches: EnvoyFilterPatches, kind: Proxy.Kind
    ) -> [TranslatedMessage] {
        let clusterPatches = patches.of(.cluster)
        guard !clusterPatches.isEmpty else { return messages }
        var result: [TranslatedMessage] = []
        for translated in messages {
            guard var cluster = translated.message as? Envoy_Config_Cluster_V3_Cluster else {
                result.append(translated)
                continue
            }
            let context: PatchContext =
                kind == .router ? .gateway : cluster.name.hasPrefix("inbound|") ? .sidecarInbound : .sidecarOutbound
            var touched = Touched()
            var removed = false
            for patch in clusterPatches where contextMatches(patch, context) && clusterMatches(cluster, patch) {
                switch patch.patch.operation {
                case .remove:
                    removed = true
                case .merge, .mergeAndReplaceList:
                    guard var value = patch.patch.value?.as(Envoy_Config_Cluster_V3_Cluster.self) else { continue }
                    if value.hasTransportSocket, cluster.hasTransportSocket {
                        value.transportSocket = mergedSocket(value.transportSocket, into: cluster.transportSocket)
                    }
                    merge(value, into: &cluster, operation: patch.patch.operation)
                    touched.add(patch)
                default:
                    continue
                }
                if removed { break }
            }
            if removed { continue }
            result.append(message(cluster, name: cluster.name, sources: translated.sources, touched: touched))
        }
        for patch in clusterPatches where patch.patch.operation == .add && addApplies(patch, kind: kind) {
            guard let value = patch.patch.value?.as(Envoy_Config_Cluster_V3_Cluster.self) else { continue }
            var touched = Touched()
            touched.add(patch)
            result.append(message(value, name: value.name, sources: [], touched: touched))
        }
        return result
    }

    /// istiod's cluster match: `name` alone when set, else the service, subset and port of an
    /// `outbound|<port>|<subset>|<host>` name (an inbound cluster's name carries no service: a `service` match never
    /// selects one in meshd).
    static func clusterMatches(_ cluster: Envoy_Config_Cluster_V3_Cluster, _ patch: EnvoyFilterPatches.Applied) -> Bool
    {
        guard case .cluster(let match)? = patch.patch.match.object else { return true }
        if !match.name.isEmpty { return match.name == cluster.name }
        let parts = cluster.name.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let isSubsetKey = parts.count == 4 && (parts[0] == "outbound" || parts[0] == "inbound")
        let port = isSubsetKey ? Int(parts[1]) ?? 0 : 0
        let subset = isSubsetKey ? parts[2] : ""
        let host = isSubsetKey ? parts[3] : ""
        if !match.subset.isEmpty && match.subset != subset { return false }
        if !match.service.isEmpty && match.service != host { return false }
        if match.portNumber != 0 && match.portNumber != port { return false }
        return true
    }
}
