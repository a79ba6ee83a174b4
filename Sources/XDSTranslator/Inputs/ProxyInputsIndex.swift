public import MeshModel

/// The per-snapshot facts that generator inputs are made of, indexed by workload address: built once per snapshot
/// and shared by every proxy, so making a proxy's inputs costs a few lookups rather than a walk of the mesh.
public struct ProxyInputsIndex: Sendable {
    /// One port on which a workload serves a service.
    private struct InboundFact: Sendable, Hashable, Comparable {
        var hostname: String
        var servicePort: Int
        var targetPort: Int
        var `protocol`: ServiceProtocol

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.hostname, lhs.servicePort, lhs.targetPort, lhs.protocol.rawValue)
                < (rhs.hostname, rhs.servicePort, rhs.targetPort, rhs.protocol.rawValue)
        }
    }

    private var inboundByAddress: [String: [InboundFact]] = [:]
    /// The position in `snapshot.workloads` of the first workload at each address, and its labels.
    private var firstWorkload: [String: (position: Int, labels: [String: String])] = [:]
    private var sidecars: [String: [Sidecar]] = [:]
    private var rootNamespace = MeshDefaults.rootNamespace
    /// Whether any VirtualService (root or delegate) has an http match on `sourceLabels`.
    private var routesMatchSourceLabels = false
    /// The snapshot, only when it holds EnvoyFilters (which are picked per proxy).
    private var envoyFilterSnapshot: MeshSnapshot?

    public init(_ snapshot: MeshSnapshot) {
        sidecars = snapshot.sidecarsByNamespace
        rootNamespace = snapshot.meshConfig.rootNamespace
        if !snapshot.envoyFilters.isEmpty { envoyFilterSnapshot = snapshot }
        routesMatchSourceLabels = snapshot.objects.values.contains { object in
            guard case .virtualService(let service) = object.resource else { return false }
            return service.http.contains { $0.match.contains { !$0.sourceLabels.isEmpty } }
        }
        for (position, workload) in snapshot.workloads.enumerated() where firstWorkload[workload.address] == nil {
            firstWorkload[workload.address] = (position, workload.labels)
        }
        for service in snapshot.services {
            for port in service.ports {
                for endpoint in snapshot.endpoints(hostname: service.hostname, port: port.port)
                where firstWorkload[endpoint.address] != nil {
                    inboundByAddress[endpoint.address, default: []].append(
                        InboundFact(
                            hostname: service.hostname, servicePort: port.port, targetPort: endpoint.port,
                            protocol: port.protocol))
                }
            }
        }
    }

    public func clusterInputs(of proxy: Proxy) -> ClusterInputs {
        let sidecar = sidecar(for: proxy)
        let readsAddress = sidecar.map { SidecarIngressEndpoint.readsProxyAddress($0.resource) } ?? false
        return ClusterInputs(
            kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar,
            trustDomain: proxy.workloadIdentity?.trustDomain, inbound: inbound(for: proxy),
            ingressWorkloadAddress: readsAddress ? proxy.ipAddresses.first : nil,
            envoyFilters: envoyFilters(for: proxy, applyingTo: [.cluster]))
    }

    public func endpointInputs(of proxy: Proxy) -> EndpointInputs {
        EndpointInputs(kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar(for: proxy))
    }

    public func listenerInputs(of proxy: Proxy) -> ListenerInputs {
        ListenerInputs(
            kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar(for: proxy),
            trustDomain: proxy.workloadIdentity?.trustDomain, inbound: inbound(for: proxy),
            workloadLabels: proxy.kind != .router ? ownLabels(for: proxy) ?? proxy.labels : proxy.labels,
            gatewayLabels: proxy.kind == .router ? proxy.labels : nil,
            envoyFilters: envoyFilters(
                for: proxy,
                applyingTo: [
                    .listener, .filterChain, .networkFilter, .httpFilter, .listenerFilter, .routeConfiguration,
                    .virtualHost, .httpRoute,
                ]))
    }

    public func routeInputs(of proxy: Proxy) -> RouteInputs {
        RouteInputs(
            kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar(for: proxy),
            gatewayLabels: proxy.kind == .router ? proxy.labels : nil,
            sourceLabels: routesMatchSourceLabels ? proxy.labels : nil,
            envoyFilters: envoyFilters(for: proxy, applyingTo: [.routeConfiguration, .virtualHost, .httpRoute]))
    }

    public func extensionConfigInputs(of proxy: Proxy) -> ExtensionConfigInputs {
        ExtensionConfigInputs(
            kind: proxy.kind, namespace: proxy.namespace,
            envoyFilters: envoyFilters(for: proxy, applyingTo: [.extensionConfig]))
    }

    /// The EnvoyFilter patches of `kinds` for `proxy` (none for proxyless gRPC clients, which istiod does not
    /// patch either). A proxy is selected by its own node labels, as istiod selects it.
    private func envoyFilters(for proxy: Proxy, applyingTo kinds: Set<EnvoyConfigPatch.ApplyTo>) -> EnvoyFilterPatches {
        guard let snapshot = envoyFilterSnapshot, proxy.kind != .grpc else { return .none }
        let selected = EnvoyFilterPatches.selecting(
            snapshot.envoyFilters(namespace: proxy.namespace, labels: proxy.labels), for: proxy)
        return EnvoyFilterPatches(patches: selected.patches.filter { kinds.contains($0.patch.applyTo) })
    }

    /// SDS reads the proxy's identity and the secrets the caller hands over for exactly that identity.
    public static func secretInputs(of proxy: Proxy, secrets: ProxySecrets?) -> SecretInputs {
        SecretInputs(
            kind: proxy.kind, namespace: proxy.namespace, identity: proxy.workloadIdentity, secrets: secrets,
            gatewayLabels: proxy.kind == .router ? proxy.labels : nil)
    }

    /// The Sidecar that configures a sidecar proxy, chosen by the proxy's namespace and labels.
    private func sidecar(for proxy: Proxy) -> SelectedSidecar? {
        guard proxy.kind != .router else { return nil }
        return MeshSnapshot.sidecar(
            in: sidecars, namespace: proxy.namespace, labels: proxy.labels, rootNamespace: rootNamespace
        )
        .map(SelectedSidecar.init)
    }

    /// The inbound ports of `proxy`: the ports on which its own workloads (those at one of its IPs) serve a
    /// service; per target port, the protocol of the first service by hostname and service port. Sorted by port.
    private func inbound(for proxy: Proxy) -> [InboundPort] {
        let facts = Array(Set(proxy.ipAddresses.flatMap { inboundByAddress[$0] ?? [] })).sorted()
        var byPort: [Int: InboundPort] = [:]
        for fact in facts where byPort[fact.targetPort] == nil {
            byPort[fact.targetPort] = InboundPort(port: fact.targetPort, protocol: fact.protocol)
        }
        return byPort.values.sorted { $0.port < $1.port }
    }

    /// The labels of the proxy's own workload: the first in the snapshot at one of its IPs.
    private func ownLabels(for proxy: Proxy) -> [String: String]? {
        proxy.ipAddresses.compactMap { firstWorkload[$0] }.min { $0.position < $1.position }?.labels
    }
}
