/// Endpoints of Kubernetes Services from their EndpointSlices.
extension SnapshotInputs {
    /// The EndpointSlices meshd can use (IPv4 and IPv6; FQDN slices are skipped), by the `namespace/name` of the
    /// Service their `kubernetes.io/service-name` label names.
    func endpointSlicesByService() -> [String: [EndpointSlice]] {
        var result: [String: [EndpointSlice]] = [:]
        for slice in endpointSlices where slice.addressType != .fqdn {
            guard let service = slice.serviceName, !service.isEmpty else { continue }
            result["\(slice.meta.namespace)/\(service)", default: []].append(slice)
        }
        return result
    }

    /// Every Pod by its key, to find the Pod an endpoint's `targetRef` names.
    func podsByKey() -> [ResourceKey: Pod] {
        var result: [ResourceKey: Pod] = [:]
        for pod in pods { result[ResourceKey(kind: .pod, namespace: pod.meta.namespace, name: pod.meta.name)] = pod }
        return result
    }

    /// Endpoints of a Service by service port, from its slices: every address of every ready endpoint, on the
    /// slice port named like the service port. Labels, service account and sidecar come from the `targetRef` Pod
    /// when it is known; otherwise the endpoint has no labels (so it is in no subset) and no sidecar.
    func endpoints(
        for service: KubernetesService, slices: [EndpointSlice], pods: [ResourceKey: Pod]
    ) -> [Int: [MeshEndpoint]] {
        var result: [Int: [MeshEndpoint]] = [:]
        for port in service.ports {
            var list: [MeshEndpoint] = []
            for slice in slices {
                guard let number = slice.ports.first(where: { $0.name == (port.name ?? "") })?.port else { continue }
                for endpoint in slice.endpoints where endpoint.ready {
                    let pod = targetPod(endpoint.targetRef, namespace: slice.meta.namespace, pods: pods)
                    let locality = locality(of: pod, nodeName: endpoint.nodeName, zone: endpoint.zone)
                    for address in endpoint.addresses {
                        var item = sliceEndpoint(address, port: number, slice: slice, pod: pod)
                        item.locality = locality
                        list.append(item)
                    }
                }
            }
            result[port.port] = list.sorted { ($0.address, $0.port, $0.origin) < ($1.address, $1.port, $1.origin) }
        }
        return result
    }

    private func targetPod(_ ref: SliceTargetRef?, namespace: String, pods: [ResourceKey: Pod]) -> Pod? {
        guard let ref, ref.kind == "Pod" else { return nil }
        return pods[ResourceKey(kind: .pod, namespace: ref.namespace ?? namespace, name: ref.name)]
    }

    private func sliceEndpoint(_ address: String, port: Int, slice: EndpointSlice, pod: Pod?) -> MeshEndpoint {
        guard let pod else {
            return MeshEndpoint(
                address: address, port: port, labels: [:], serviceAccount: nil, namespace: slice.meta.namespace,
                origin: ResourceKey(kind: .endpointSlice, namespace: slice.meta.namespace, name: slice.meta.name))
        }
        let origin = ResourceKey(kind: .pod, namespace: pod.meta.namespace, name: pod.meta.name)
        return MeshEndpoint(
            address: address, port: port, labels: pod.meta.labels, serviceAccount: pod.serviceAccountName,
            namespace: pod.meta.namespace, origin: origin,
            hasSidecar: EndpointTLSMode.acceptsMutualTLS(podLabels: pod.meta.labels))
    }
}
