import MeshModel

/// Why a proxyless gRPC client's subscribed name has no resource: the text meshd sends in the response's
/// `resource_errors` (NOT_FOUND; gRPC fails the channel's calls with it at once, gRFC A88) and logs.
enum GRPCResourceAbsence {
    static func reason(
        typeURL: String, name: String, snapshot: MeshSnapshot, proxy: Proxy, settings: TranslatorSettings
    ) -> String {
        let index = ProxyInputsIndex(snapshot)
        switch typeURL {
        case TypeURL.listener:
            let context = GenerationContext(
                snapshot: snapshot, inputs: index.listenerInputs(of: proxy), settings: settings)
            return listenerReason(name, context)
        case TypeURL.route:
            let context = GenerationContext(
                snapshot: snapshot, inputs: index.routeInputs(of: proxy), settings: settings)
            return clusterNameReason(name, what: "route configuration", services: context.visibleServices, plans: nil)
        case TypeURL.cluster:
            let context = GenerationContext(
                snapshot: snapshot, inputs: index.clusterInputs(of: proxy), settings: settings)
            let plans = OutboundClusterPlan.all(in: context)
            if let plan = plans.first(where: { $0.name == name }),
                case .refused(let why) = GRPCClusters.decision(for: plan, in: context)
            {
                return "cluster \(name) is not served to proxyless gRPC: \(why)"
            }
            return clusterNameReason(name, what: "cluster", services: context.visibleServices, plans: plans)
        case TypeURL.endpoint:
            let context = GenerationContext(
                snapshot: snapshot, inputs: index.endpointInputs(of: proxy), settings: settings)
            return clusterNameReason(
                name, what: "endpoint assignment", services: context.visibleServices,
                plans: OutboundClusterPlan.all(in: context))
        default:
            return "meshd serves proxyless gRPC clients listeners, routes, clusters and endpoints only"
        }
    }

    private static func listenerReason(_ name: String, _ context: GenerationContext<ListenerInputs>) -> String {
        if name.contains("grpc/lds/inbound") || name.hasPrefix("grpc/server") {
            return
                "listener \(name) is a gRPC xDS server listener, which meshd does not serve yet; run the server without xDS server credentials (see Docs/proxyless-grpc.md)"
        }
        guard let colon = name.lastIndex(of: ":"), let port = Int(name[name.index(after: colon)...]) else {
            return
                "listener \(name) is not host:port; a proxyless gRPC client targets xds:///<host>:<port> (e.g. xds:///reviews.default.svc.cluster.local:9080)"
        }
        let host = String(name[..<colon])
        let namespace = context.inputs.namespace
        guard
            let service = context.visibleServices.first(where: {
                GRPCListeners.hostNames(for: $0, proxyNamespace: namespace).contains(host)
            })
        else {
            return
                "no service \(host) is visible to namespace \(namespace) (names tried: the FQDN, name.namespace, name.namespace.svc, and the bare name within the service's own namespace; a Sidecar or exportTo may hide it)"
        }
        let ports = service.ports.map { String($0.port) }.sorted().joined(separator: ", ")
        return "service \(service.hostname) has no port \(port) (its ports: \(ports))"
    }

    private static func clusterNameReason(
        _ name: String, what: String, services: [MeshService], plans: [OutboundClusterPlan]?
    ) -> String {
        let parts = name.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "outbound", let port = Int(parts[1]) else {
            return "\(what) \(name) is not outbound|<port>|<subset>|<fqdn>"
        }
        guard let service = services.first(where: { $0.hostname == parts[3] }) else {
            return "\(what) \(name): no service \(parts[3]) is visible to this client"
        }
        guard service.port(port) != nil else {
            return "\(what) \(name): service \(service.hostname) has no port \(port)"
        }
        if !parts[2].isEmpty, plans?.contains(where: { $0.name == name }) != true {
            return
                "\(what) \(name): no DestinationRule for \(service.hostname) defines subset \(parts[2]) for this client"
        }
        return "\(what) \(name) is not generated for proxyless gRPC clients"
    }
}
