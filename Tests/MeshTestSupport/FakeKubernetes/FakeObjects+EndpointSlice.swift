/// A slice endpoint for `FakeObjects.endpointSlice`: one address, its readiness, the Pod behind it, and the
/// node and zone the endpoint-slice controller copies from the Pod's Node.
public struct FakeSliceEndpoint: Sendable {
    public var address: String
    public var ready: Bool
    public var pod: String?
    public var node: String
    public var zone: String

    public init(_ address: String, ready: Bool = true, pod: String? = nil, node: String = "node-1", zone: String = "zone-a") {
        self.address = address
        self.ready = ready
        self.pod = pod
        self.node = node
        self.zone = zone
    }
}

extension FakeObjects {
    /// A `discovery.k8s.io/v1` EndpointSlice as the endpoint-slice controller writes it for `service`: the
    /// `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by` labels, an owner reference to the
    /// Service, `conditions` with `ready`/`serving`/`terminating`, and one named TCP port.
    public static func endpointSlice(
        _ name: String, namespace: String = "default", service: String, endpoints: [FakeSliceEndpoint],
        port: Int = 9080, portName: String = "http"
    ) -> String {
        let items = endpoints.map { endpoint in
            let target =
                endpoint.pod.map {
                    ",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"\(namespace)\",\"name\":\"\($0)\","
                        + "\"uid\":\"6f1f8a8e-0000-4000-8000-0000000000aa\"}"
                } ?? ""
            return "{\"addresses\":[\"\(endpoint.address)\"],\"conditions\":{\"ready\":\(endpoint.ready),"
                + "\"serving\":\(endpoint.ready),\"terminating\":false}\(target),"
                + "\"nodeName\":\"\(endpoint.node)\",\"zone\":\"\(endpoint.zone)\"}"
        }.joined(separator: ",")
        return """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"\(name)",\
            "generateName":"\(service)-","namespace":"\(namespace)","labels":{"endpointslice.kubernetes.io/managed-by":\
            "endpointslice-controller.k8s.io","kubernetes.io/service-name":"\(service)"},\
            "ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"\(service)",\
            "uid":"6f1f8a8e-0000-4000-8000-0000000000bb","controller":true,"blockOwnerDeletion":true}]},\
            "addressType":"IPv4","endpoints":[\(items)],\
            "ports":[{"name":"\(portName)","port":\(port),"protocol":"TCP"}]}
            """
    }
}
