import EnvoyAPI
import MeshModel

/// EDS for a proxyless gRPC client: the sidecar's load assignments of the clusters gRPC is given, with each
/// locality present (an empty one when the endpoints have none: gRPC NACKs a group without `locality`) and its
/// `load_balancing_weight` set to the sum of its endpoints' weights: gRPC ignores a locality without a weight
/// (gRFC A27), where Envoy ignores the weight unless locality-weighted balancing is on.
enum GRPCEndpoints {
    static func resources(for context: GenerationContext<EndpointInputs>) -> [TranslatedMessage] {
        EndpointGenerator().resources(for: context).map(weighted)
    }

    static func resources(
        for context: GenerationContext<EndpointInputs>, hostnames: Set<String>
    )
        -> [TranslatedMessage]
    {
        EndpointGenerator().resources(for: context, hostnames: hostnames).map(weighted)
    }

    private static func weighted(_ message: TranslatedMessage) -> TranslatedMessage {
        guard var assignment = message.message as? Envoy_Config_Endpoint_V3_ClusterLoadAssignment else {
            return message
        }
        for index in assignment.endpoints.indices {
            if !assignment.endpoints[index].hasLocality {
                assignment.endpoints[index].locality = Envoy_Config_Core_V3_Locality()
            }
            let sum = assignment.endpoints[index].lbEndpoints.reduce(UInt64(0)) {
                $0 + UInt64($1.hasLoadBalancingWeight ? $1.loadBalancingWeight.value : 1)
            }
            // A weight `distribute` gave stays.
            guard sum > 0, !assignment.endpoints[index].hasLoadBalancingWeight else { continue }
            assignment.endpoints[index].loadBalancingWeight = ProtoValues.uint32(Int(min(sum, UInt64(UInt32.max))))
        }
        return TranslatedMessage(name: message.name, message: assignment, sources: message.sources)
    }
}
