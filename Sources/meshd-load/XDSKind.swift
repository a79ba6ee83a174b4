/// The four xDS types a sidecar needs, in the order Envoy applies them.
enum XDSKind: Int, CaseIterable, Sendable, Codable {
    case cluster, endpoint, listener, route

    var typeURL: String {
        switch self {
        case .cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster"
        case .endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
        case .listener: "type.googleapis.com/envoy.config.listener.v3.Listener"
        case .route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
        }
    }

    var shortName: String {
        switch self {
        case .cluster: "cds"
        case .endpoint: "eds"
        case .listener: "lds"
        case .route: "rds"
        }
    }

    init?(typeURL: String) {
        guard let kind = Self.allCases.first(where: { $0.typeURL == typeURL }) else { return nil }
        self = kind
    }
}
