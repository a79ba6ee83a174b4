import EnvoyAPI
import MeshModel
import SwiftProtobuf

extension Proxy {
    /// Builds a proxy from an Envoy node: Istio's node id plus its metadata struct.
    /// String-valued metadata is kept; `LABELS` is read as a string map.
    init(node: Envoy_Config_Core_V3_Node) throws(ProxyIdentityError) {
        var metadata: [String: String] = [:]
        var labels: [String: String] = [:]
        for (key, value) in node.metadata.fields {
            switch value.kind {
            case .stringValue(let text): metadata[key] = text
            case .structValue(let nested) where key == "LABELS":
                for (labelKey, labelValue) in nested.fields {
                    if case .stringValue(let text) = labelValue.kind { labels[labelKey] = text }
                }
            default: continue
            }
        }
        try self.init(nodeID: node.id, metadata: metadata, labels: labels)
        if node.hasLocality, !node.locality.region.isEmpty {
            // istiod's LocalityToString: each part only under the one before it.
            var parts = [node.locality.region]
            if !node.locality.zone.isEmpty {
                parts.append(node.locality.zone)
                if !node.locality.subZone.isEmpty { parts.append(node.locality.subZone) }
            }
            locality = parts.joined(separator: "/")
        }
    }
}
