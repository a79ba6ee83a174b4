public import MeshModel
import XDSServer

/// What one generator reads of a proxy, so proxies with equal views share one generated result.
///
/// Derived from the translator (Sources/XDSTranslator), field by field:
/// - every type: the proxy's namespace (DestinationRule lookup, exportTo, short host names) and its kind;
/// - CDS and LDS: whether it has an identity and its trust domain (mesh TLS contexts), and the inbound
///   facts of its own workload: every (service, service port, target port, protocol) whose endpoint address
///   is one of the proxy's IPs (`InboundPort.all`);
/// - LDS: the labels PeerAuthentication is matched against (the first own workload's, else the proxy's).
/// EDS and RDS read only the namespace. SDS is per identity and never shared.
public struct ProxyView: Sendable, Hashable {
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
    var inbound: [InboundFact] = []
    var labels: [String: String]?

    /// The view of `proxy` for `type` under the snapshot `index` was built from.
    static func of(_ proxy: Proxy, for type: XDSType, in index: ProxyViewIndex) -> ProxyView {
        var view = ProxyView(kind: proxy.kind, namespace: proxy.namespace)
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

    public init(_ snapshot: MeshSnapshot) {
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

    func inbound(for proxy: Proxy) -> [ProxyView.InboundFact] {
        let facts = proxy.ipAddresses.flatMap { inboundByAddress[$0] ?? [] }
        return Array(Set(facts)).sorted()
    }

    func ownLabels(for proxy: Proxy) -> [String: String]? {
        proxy.ipAddresses.compactMap { firstWorkload[$0] }.min { $0.position < $1.position }?.labels
    }
}
