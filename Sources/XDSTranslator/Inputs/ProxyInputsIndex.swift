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
    /// The position in `snapshot.workloads` of the first workload at each address, its labels and locality.
    private var firstWorkload: [String: (position: Int, labels: [String: String], locality: String?)] = [:]
    private var sidecars: [String: [Sidecar]] = [:]
    private var rootNamespace = MeshDefaults.rootNamespace
    /// Whether any VirtualService (root or delegate) has an http match on `sourceLabels`.
    private var routesMatchSourceLabels = false
    /// The snapshot, only when it holds EnvoyFilters (which are picked per proxy).
    private var envoyFilterSnapshot: MeshSnapshot?
    /// Whether some load assignment can depend on the client's locality (`LocalityUse`).
    private var locality = LocalityUse()
    /// The label keys listener generation can read of a workload (`ListenerLabelKeys`).
    private var listenerLabelKeys: Set<String> = []

    public init(_ snapshot: MeshSnapshot) {
        sidecars = snapshot.sidecarsByNamespace
        rootNamespace = snapshot.meshConfig.rootNamespace
        if !snapshot.envoyFilters.isEmpty { envoyFilterSnapshot = snapshot }
        locality = LocalityUse(snapshot)
        listenerLabelKeys = Self.listenerLabelKeys(snapshot)
        routesMatchSourceLabels = snapshot.objects.values.contains { object in
            guard case .virtualService(let service) = object.resource else { return false }
            return service.http.contains { $0.match.contains { !$0.sourceLabels.isEmpty } }
        }
        for (position, workload) in snapshot.workloads.enumerated() where firstWorkload[workload.address] == nil {
            firstWorkload[workload.address] = (position, workload.labels, workload.locality)
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
        let client = localityClient(of: proxy)
        return ClusterInputs(
            kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar,
            trustDomain: proxy.workloadIdentity?.trustDomain, inbound: inbound(for: proxy),
            ingressWorkloadAddress: readsAddress ? proxy.ipAddresses.first : nil,
            envoyFilters: envoyFilters(for: proxy, applyingTo: [.cluster]), locality: client.locality,
            failoverLabels: client.labels)
    }

    public func endpointInputs(of proxy: Proxy) -> EndpointInputs {
        let client = localityClient(of: proxy)
        return EndpointInputs(
            kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar(for: proxy), locality: client.locality,
            failoverLabels: client.labels)
    }

    /// The proxy's locality and failover labels, only when the snapshot's locality settings can read them.
    /// istiod takes the node's locality, else the registry's for the proxy's own workload.
    private func localityClient(of proxy: Proxy) -> LocalityBalancing.Client {
        guard locality.matters else { return LocalityBalancing.Client() }
        let own = proxy.locality ?? ownWorkload(for: proxy)?.locality
        var client = LocalityBalancing.Client(locality: own)
        if !locality.failoverLabels.isEmpty {
            let labels = TopologyLabels.augment(proxy.labels, locality: own)
            client.labels = labels.isEmpty ? nil : labels.filter { locality.failoverLabels.contains($0.key) }
        }
        return client
    }

    public func listenerInputs(of proxy: Proxy) -> ListenerInputs {
        ListenerInputs(
            kind: proxy.kind, namespace: proxy.namespace, sidecar: sidecar(for: proxy),
            trustDomain: proxy.workloadIdentity?.trustDomain, inbound: inbound(for: proxy),
            workloadLabels: (proxy.kind != .router ? ownLabels(for: proxy) ?? proxy.labels : proxy.labels).filter {
                listenerLabelKeys.contains($0.key)
            },
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

    /// The label keys that listener generation reads of a workload: those a PeerAuthentication, AuthorizationPolicy,
    /// RequestAuthentication, Telemetry or Gateway selector names, those a VirtualService's `sourceLabels` name (http, tcp and
    /// tls matches), and `app` (the tracer's service name) once a Telemetry or a default tracing provider exists.
    /// Every selector is a conjunction of key = value, so labels cut down to these keys select exactly the same
    /// objects, and workloads whose labels differ only elsewhere (`version`, `pod-template-hash`) share their LDS.
    static func listenerLabelKeys(_ snapshot: MeshSnapshot) -> Set<String> {
        var keys: Set<String> = []
        func add(_ labels: [String: String]?) { if let labels { keys.formUnion(labels.keys) } }
        for policy in snapshot.peerAuthentications.values.joined() { add(policy.selector) }
        for policy in snapshot.authorizationPolicies.values.joined() { add(policy.selector) }
        for policy in snapshot.requestAuthentications.values.joined() { add(policy.selector) }
        for telemetry in snapshot.telemetries.values.joined() { add(telemetry.selector) }
        for gateway in snapshot.gateways { add(gateway.selector) }
        // Delegates are not indexed by host: every VirtualService object as well as the indexed ones.
        let objects = snapshot.objects.values.compactMap { object -> VirtualService? in
            guard case .virtualService(let service) = object.resource else { return nil }
            return service
        }
        for service in objects + snapshot.virtualServicesByHost.values.joined() {
            for route in service.http { for match in route.match { add(match.sourceLabels) } }
            for route in service.tcp { for match in route.match { add(match.sourceLabels) } }
            for route in service.tls { for match in route.match { add(match.sourceLabels) } }
        }
        if !snapshot.telemetries.isEmpty || !snapshot.meshConfig.defaultProviders.tracing.isEmpty {
            keys.insert("app")
        }
        return keys
    }

    /// The labels of the proxy's own workload: the first in the snapshot at one of its IPs.
    private func ownLabels(for proxy: Proxy) -> [String: String]? {
        ownWorkload(for: proxy)?.labels
    }

    private func ownWorkload(for proxy: Proxy) -> (position: Int, labels: [String: String], locality: String?)? {
        proxy.ipAddresses.compactMap { firstWorkload[$0] }.min { $0.position < $1.position }
    }
}

/// What of a client's locality the snapshot's locality settings read. Locality can only shape an assignment
/// when the mesh config distributes by locality, or a DestinationRule configures outlier detection (failover) or
/// its own `localityLbSetting`; elsewhere proxies in different localities share their EDS.
struct LocalityUse: Sendable {
    var matters = false
    /// The label names (without any `=value`) that some `failoverPriority` lists.
    var failoverLabels: Set<String> = []

    init() {}

    init(_ snapshot: MeshSnapshot) {
        var settings: [LocalityLoadBalancerSetting] = []
        if let mesh = snapshot.meshConfig.localityLbSetting, mesh.enabled != false {
            if !mesh.distribute.isEmpty { matters = true }
            settings.append(mesh)
        }
        for object in snapshot.objects.values {
            guard case .destinationRule(let rule) = object.resource else { continue }
            let policies = ([rule.trafficPolicy] + rule.subsets.map(\.trafficPolicy)).compactMap { $0 }
            for policy in policies {
                let balancers = [policy.loadBalancer] + policy.portLevelSettings.map(\.loadBalancer)
                let own = balancers.compactMap { $0?.localityLbSetting }
                if policy.outlierDetection != nil
                    || policy.portLevelSettings.contains(where: { $0.outlierDetection != nil })
                    || !own.isEmpty
                {
                    matters = true
                }
                settings += own
            }
        }
        if snapshot.services.contains(where: \.prefersClose) {
            matters = true
            settings.append(.preferClose)
        }
        guard matters else { return }
        for setting in settings {
            for label in setting.failoverPriority {
                failoverLabels.insert(String(label.split(separator: "=", maxSplits: 1).first ?? ""))
            }
        }
    }
}
