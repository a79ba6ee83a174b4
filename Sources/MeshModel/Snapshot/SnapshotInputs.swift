/// The objects of one snapshot build, split by kind, with the endpoint resolution rules that join them.
struct SnapshotInputs {
    var services: [KubernetesService] = []
    var pods: [Pod] = []
    var workloadEntries: [WorkloadEntry] = []
    var serviceEntries: [ServiceEntry] = []
    var virtualServices: [VirtualService] = []
    var destinationRules: [DestinationRule] = []
    var peerAuthentications: [PeerAuthentication] = []
    var endpointSlices: [EndpointSlice] = []
    var sidecars: [Sidecar] = []
    var gateways: [Gateway] = []
    var secrets: [TLSSecret] = []
    var authorizationPolicies: [AuthorizationPolicy] = []
    var requestAuthentications: [RequestAuthentication] = []
    var telemetries: [Telemetry] = []
    var envoyFilters: [EnvoyFilter] = []
    var proxyConfigs: [ProxyConfig] = []
    var workloadGroups: [WorkloadGroup] = []
    /// Nodes by name: their labels give the locality of the Pods they run.
    var nodes: [String: KubernetesNode] = [:]

    /// Every Pod with an IP and every WorkloadEntry, sorted by address then origin.
    func workloads() -> [MeshWorkload] {
        let fromPods = pods.compactMap { pod -> MeshWorkload? in
            guard let ip = pod.podIP, !ip.isEmpty else { return nil }
            return MeshWorkload(
                address: ip, namespace: pod.meta.namespace, labels: pod.meta.labels,
                serviceAccount: pod.serviceAccountName, origin: key(pod), locality: locality(of: pod))
        }
        let fromEntries = workloadEntries.map { entry in
            MeshWorkload(
                address: entry.spec.address, namespace: entry.meta.namespace, labels: labels(of: entry),
                serviceAccount: entry.spec.serviceAccount, origin: key(entry), locality: entry.spec.locality)
        }
        return (fromPods + fromEntries).sorted { ($0.address, $0.origin) < ($1.address, $1.origin) }
    }

    /// Endpoints of a Kubernetes Service by service port: the Pods and WorkloadEntries of its namespace whose labels
    /// contain the selector. An empty selector selects nothing (the endpoints are managed elsewhere). `index` is
    /// this build's `workloadIndex()`.
    func endpoints(for service: KubernetesService, index: WorkloadIndex) -> [Int: [MeshEndpoint]] {
        var result: [Int: [MeshEndpoint]] = [:]
        let namespace = service.meta.namespace
        let selectedPods = service.selector.isEmpty ? [] : index.pods(matching: service.selector, namespace: namespace)
        let selectedEntries =
            service.selector.isEmpty ? [] : index.entries(matching: service.selector, namespace: namespace)
        for port in service.ports {
            var list: [MeshEndpoint] = []
            if !service.selector.isEmpty {
                for pod in selectedPods {
                    guard let number = podPort(pod, target: port.targetPort, servicePort: port.port) else { continue }
                    list.append(endpoint(pod, port: number))
                }
                for entry in selectedEntries {
                    let fallback = entryTargetPort(entry, target: port.targetPort, servicePort: port.port)
                    guard let number = port.name.flatMap({ entry.spec.ports[$0] }) ?? fallback else { continue }
                    list.append(endpoint(entry, port: number))
                }
            }
            result[port.port] = sorted(list)
        }
        return result
    }

    /// Endpoints of a ServiceEntry by host and port: inline `endpoints`, the workloads its `workloadSelector`
    /// picks, or, for DNS resolution with neither, the host itself.
    func endpoints(for entry: ServiceEntry, index: WorkloadIndex) -> [String: [Int: [MeshEndpoint]]] {
        let namespace = entry.meta.namespace
        let origin = ResourceKey(kind: .serviceEntry, namespace: namespace, name: entry.meta.name)
        var perPort: [Int: [MeshEndpoint]] = [:]
        let selectedPods = entry.workloadSelector.map { index.pods(matching: $0, namespace: namespace) } ?? []
        let selectedEntries = entry.workloadSelector.map { index.entries(matching: $0, namespace: namespace) } ?? []
        for port in entry.ports {
            var list: [MeshEndpoint] = []
            for inline in entry.endpoints {
                let number = inline.ports[port.name] ?? port.targetPort ?? port.number
                var inlineEndpoint = endpoint(inline, namespace: namespace, port: number, origin: origin)
                inlineEndpoint.hasSidecar = EndpointTLSMode.acceptsMutualTLS(
                    workloadLabels: inline.labels, serviceAccount: inline.serviceAccount)
                list.append(inlineEndpoint)
            }
            for pod in selectedPods {
                list.append(endpoint(pod, port: pod.namedPorts[port.name] ?? port.targetPort ?? port.number))
            }
            for workload in selectedEntries {
                let number = workload.spec.ports[port.name] ?? port.targetPort ?? port.number
                list.append(endpoint(workload, port: number))
            }
            perPort[port.number] = sorted(list)
        }
        var result: [String: [Int: [MeshEndpoint]]] = [:]
        for host in entry.hosts {
            let usesHost =
                entry.endpoints.isEmpty && entry.workloadSelector == nil && !host.hasPrefix("*")
                && (entry.resolution == .dns || entry.resolution == .dnsRoundRobin)
            guard usesHost else {
                result[host] = perPort
                continue
            }
            var hostEndpoints: [Int: [MeshEndpoint]] = [:]
            for port in entry.ports {
                hostEndpoints[port.number] = [
                    MeshEndpoint(
                        address: host, port: port.targetPort ?? port.number, labels: [:], serviceAccount: nil,
                        namespace: namespace, origin: origin)
                ]
            }
            result[host] = hostEndpoints
        }
        return result
    }

    /// A number is used as is; a name must be one of the Pod's container ports; no target means the service port.
    private func podPort(_ pod: Pod, target: TargetPort?, servicePort: Int) -> Int? {
        switch target {
        case .number(let number): number
        case .name(let name): pod.namedPorts[name]
        case nil: servicePort
        }
    }

    private func entryTargetPort(_ entry: WorkloadEntry, target: TargetPort?, servicePort: Int) -> Int? {
        switch target {
        case .number(let number): number
        case .name(let name): entry.spec.ports[name]
        case nil: servicePort
        }
    }

    /// A WorkloadEntry's labels are `spec.labels`, over those in its metadata.
    private func labels(of entry: WorkloadEntry) -> [String: String] {
        entry.meta.labels.merging(entry.spec.labels) { _, spec in spec }
    }

    private func endpoint(_ pod: Pod, port: Int) -> MeshEndpoint {
        MeshEndpoint(
            address: pod.podIP ?? "", port: port, labels: pod.meta.labels, serviceAccount: pod.serviceAccountName,
            namespace: pod.meta.namespace, locality: locality(of: pod), origin: key(pod),
            hasSidecar: EndpointTLSMode.acceptsMutualTLS(podLabels: pod.meta.labels))
    }

    /// A Pod's locality as istiod finds it: its `istio-locality` label (`region.zone.subzone`), else the topology
    /// labels of its Node (`spec.nodeName`, or the EndpointSlice's `nodeName`), else the slice's `zone` alone.
    func locality(of pod: Pod?, nodeName: String? = nil, zone: String? = nil) -> String? {
        if let label = pod?.meta.labels[TopologyLabels.podLocality], !label.isEmpty {
            return String(label.map { $0 == "." ? "/" : $0 })
        }
        if let name = pod?.nodeName ?? nodeName, let locality = nodes[name]?.locality { return locality }
        guard let zone, !zone.isEmpty else { return nil }
        return TopologyLabels.join(region: "", zone: zone, subzone: "")
    }

    private func endpoint(_ entry: WorkloadEntry, port: Int) -> MeshEndpoint {
        var result = endpoint(entry.spec, namespace: entry.meta.namespace, port: port, origin: key(entry))
        result.labels = labels(of: entry)
        result.hasSidecar = EndpointTLSMode.acceptsMutualTLS(
            workloadLabels: result.labels, serviceAccount: entry.spec.serviceAccount)
        return result
    }

    private func endpoint(_ spec: WorkloadEntrySpec, namespace: String, port: Int, origin: ResourceKey) -> MeshEndpoint
    {
        MeshEndpoint(
            address: spec.address, port: port, labels: spec.labels, serviceAccount: spec.serviceAccount,
            namespace: namespace, locality: spec.locality, weight: spec.weight, origin: origin)
    }

    private func sorted(_ endpoints: [MeshEndpoint]) -> [MeshEndpoint] {
        endpoints.sorted { ($0.address, $0.port, $0.origin) < ($1.address, $1.port, $1.origin) }
    }

    private func key(_ pod: Pod) -> ResourceKey {
        ResourceKey(kind: .pod, namespace: pod.meta.namespace, name: pod.meta.name)
    }

    private func key(_ entry: WorkloadEntry) -> ResourceKey {
        ResourceKey(kind: .workloadEntry, namespace: entry.meta.namespace, name: entry.meta.name)
    }
}
