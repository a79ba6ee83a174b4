import EnvoyAPI
import SwiftProtobuf
import SyntheticMesh

/// Istio node identities for simulated sidecars, one per generated workload (cycling when there are more
/// proxies than workloads; the pod name then gets a replica suffix so node ids stay unique).
enum ProxyNode {
    static func make(index: Int, mesh: SyntheticMesh) -> Envoy_Config_Core_V3_Node {
        let workload = mesh.workload(at: index)
        let total = max(mesh.services * mesh.endpointsPerService, 1)
        let replica = index / total
        let pod = replica == 0 ? workload.name : "\(workload.name)-r\(replica)"
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~\(workload.address)~\(pod).\(workload.namespace)~\(workload.namespace).svc.cluster.local"
        node.cluster = "\(workload.app).\(workload.namespace)"
        var labels = Google_Protobuf_Struct()
        labels.fields["app"] = Google_Protobuf_Value(stringValue: workload.app)
        labels.fields["version"] = Google_Protobuf_Value(stringValue: workload.version)
        var metadata = Google_Protobuf_Struct()
        metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: workload.namespace)
        metadata.fields["LABELS"] = Google_Protobuf_Value(structValue: labels)
        metadata.fields["INSTANCE_IPS"] = Google_Protobuf_Value(stringValue: workload.address)
        metadata.fields["SERVICE_ACCOUNT"] = Google_Protobuf_Value(stringValue: workload.serviceAccount)
        metadata.fields["INTERCEPTION_MODE"] = Google_Protobuf_Value(stringValue: "REDIRECT")
        metadata.fields["CLUSTER_ID"] = Google_Protobuf_Value(stringValue: "Kubernetes")
        metadata.fields["MESH_ID"] = Google_Protobuf_Value(stringValue: "cluster.local")
        node.metadata = metadata
        return node
    }
}
