public import MeshModel
import XDSServer
import XDSTranslator

/// What one generator reads of a proxy, so proxies with equal views share one generated result.
///
/// Derived from the translator (Sources/XDSTranslator), field by field:
/// - every type: the proxy's namespace (DestinationRule lookup, exportTo, short host names) and its kind;
/// - CDS and LDS: whether it has an identity and its trust domain (mesh TLS contexts), and the inbound
///   ports of its own workload: each target port with the protocol of the first (by hostname, service port)
///   service that has an endpoint at one of the proxy's IPs on it, exactly what `InboundPort.all` derives.
///   Not the services' names: proxies of different services with the same ports share CDS;
/// - LDS: the labels PeerAuthentication, AuthorizationPolicy and RequestAuthentication selectors are matched against
///   (the first own workload's, else the proxy's; `MeshSnapshot.policyLabels`), with the namespace that picks the
///   namespace-wide policies. Routers: the same policies by the router's own labels (`gatewayLabels`) and namespace.
///   The ext_authz clusters CDS adds for the mesh config's providers read nothing of the proxy.
/// EDS reads only the namespace; RDS also the proxy's labels when a VirtualService matches on `sourceLabels`.
/// SDS is per identity and never shared.
/// - Sidecars, every type: the Sidecar resource that selects the proxy (by namespace and the proxy's labels), which
///   scopes what it imports, its outbound traffic policy and its ingress listeners (`SidecarScope`).
/// - Sidecars, CDS, only under a Sidecar whose ingress sends to the workload's own address (`0.0.0.0:<port>`): the
///   proxy's first IP, which that inbound cluster targets (`SidecarIngressEndpoint.readsProxyAddress`). Elsewhere
///   the IP is not part of the view, so pods of one workload keep sharing CDS.
/// - Routers (gateways), LDS and RDS: the proxy's labels, which pick the Gateways that select it
///   (`MeshSnapshot.gateways(selecting:)`); a router's LDS and RDS read nothing else of the proxy.
public struct ProxyView: Sendable, Hashable {
    /// One port of the proxy's own workload and the protocol the inbound side uses on it.
    struct InboundPort: Sendable, Hashable {
        var targetPort: Int
        var `protocol`: String
    }

    /// One port on which the proxy's own workload serves a service.
    struct InboundFact: Sendable, Hashable, Comparable {
        var hostname: String
        var servicePort: Int
        var targetPort: Int
        var `protocol`: String

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.hostname, lhs.servicePort, lhs.targetPort, lhs.protocol) < (rhs.hostname, rhs.servicePort, rhs.targetPort, rhs.protocol)
        }
    }

    var kind: Proxy.Kind
    var namespace: String
    var trustDomain: String?
    var inbound: [InboundPort] = []
    var labels: [String: String]?
    /// The Sidecar that configures a sidecar proxy (every type); nil when none applies.
    var sidecar: ResourceKey?
    /// CDS under a Sidecar whose ingress `defaultEndpoint` is `0.0.0.0:<port>` or `[::]:<port>`: the proxy's first IP,
    /// the upstream of that inbound cluster (nil also for a proxy without one; its Sidecar key then differs too).
    var ingressWorkloadAddress: String?
    /// A router's labels (LDS and RDS), which decide which Gateways configure it.
    var gatewayLabels: [String: String]?
    /// RDS: the proxy's labels, only when some VirtualService http match uses `sourceLabels` (the translator then
    /// generates those routes only for proxies carrying the labels).
    var routeLabels: [String: String]?

    /// The view of `proxy` for `type` under the snapshot `index` was built from.
    static func of(_ proxy: Proxy, for type: XDSType, in index: ProxyViewIndex) -> ProxyView {
        var view = ProxyView(kind: proxy.kind, namespace: proxy.namespace)
        if proxy.kind == .sidecar, let sidecar = index.sidecar(for: proxy) {
            view.sidecar = ResourceKey(kind: .sidecar, namespace: sidecar.meta.namespace, name: sidecar.meta.name)
            if type == .cluster && SidecarIngressEndpoint.readsProxyAddress(sidecar) {
                view.ingressWorkloadAddress = proxy.ipAddresses.first
            }
        }
        if proxy.kind == .router && (type == .listener || type == .route) { view.gatewayLabels = proxy.labels }
        if type == .route && index.routesMatchSourceLabels { view.routeLabels = proxy.labels }
        guard type == .cluster || type == .listener else { return view }
        view.trustDomain = proxy.workloadIdentity?.trustDomain
        view.inbound = index.inbound(for: proxy)
        if type == .listener { view.labels = index.ownLabels(for: proxy) ?? proxy.labels }
        return view
    }
}

/// The per-snapshot facts that views are made of, indexed by workload address. Built once per snapshot.
public struct ProxyViewIndex: Sendable {
    private var inboundByAddress: [String: [ProxyView.InboundFact]] = [:]
    /// The position in `snapshot.workloads` of the first workload at each address, and its labels.
    private var firstWorkload: [String: (position: Int, labels: [String: String])] = [:]
    /// The snapshot's Sidecars by namespace, to find the one that selects a proxy.
    private var sidecars: [String: [Sidecar]] = [:]
    private var rootNamespace = MeshDefaults.rootNamespace
    /// Whether any VirtualService (root or delegate) has an http match on `sourceLabels`.
    private(set) var routesMatchSourceLabels = false

    public init(_ snapshot: MeshSnapshot) {
        sidecars = snapshot.sidecarsByNamespace
        rootNamespace = snapshot.meshConfig.rootNamespace
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
                        .init(hostname: service.hostname, servicePort: port.port, targetPort: endpoint.port, protocol: port.protocol.rawValue))
                }
            }
        }
    }

    /// The Sidecar that configures `proxy`, chosen as the translator chooses it (from the proxy's labels).
    func sidecar(for proxy: Proxy) -> Sidecar? {
        MeshSnapshot.sidecar(in: sidecars, namespace: proxy.namespace, labels: proxy.labels, rootNamespace: rootNamespace)
    }

    /// The inbound ports of `proxy`, derived as the translator derives them: per target port, the protocol of the
    /// first fact by hostname and service port; sorted by port.
    func inbound(for proxy: Proxy) -> [ProxyView.InboundPort] {
        let facts = Array(Set(proxy.ipAddresses.flatMap { inboundByAddress[$0] ?? [] })).sorted()
        var byPort: [Int: ProxyView.InboundPort] = [:]
        for fact in facts where byPort[fact.targetPort] == nil {
            byPort[fact.targetPort] = ProxyView.InboundPort(targetPort: fact.targetPort, protocol: fact.protocol)
        }
        return byPort.values.sorted { $0.targetPort < $1.targetPort }
    }

    func ownLabels(for proxy: Proxy) -> [String: String]? {
        proxy.ipAddresses.compactMap { firstWorkload[$0] }.min { $0.position < $1.position }?.labels
    }
}
