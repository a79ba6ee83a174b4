/// The xDS resource types meshd serves, by type URL exactly as Envoy writes it in `type_url`, and the order in which
/// ADS pushes them. The one definition of the type URLs: the server (`XDSServer.XDSType`), the translator
/// (`TypeURL`) and the load generator all read them from here.
public enum XDSType: String, Sendable, Hashable, CaseIterable {
    case cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
    case endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
    case listener = "type.googleapis.com/envoy.config.listener.v3.Listener"
    case route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
    case secret = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
    /// ECDS: filter configs that a listener's filters fetch by name (`config_discovery`).
    case extensionConfig = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"

    /// Make before break: clusters, then their endpoints, then listeners, then the routes and filter configs they
    /// name.
    public static let pushOrder: [XDSType] = [.cluster, .endpoint, .listener, .route, .extensionConfig, .secret]

    /// LDS and CDS are wildcard: the proxy receives every resource. RDS, EDS, ECDS and SDS answer the names asked for.
    public var isWildcard: Bool { self == .cluster || self == .listener }

    /// The short name operators know: cds, eds, lds, rds, sds, ecds.
    public var shortName: String {
        switch self {
        case .cluster: "cds"
        case .endpoint: "eds"
        case .listener: "lds"
        case .route: "rds"
        case .secret: "sds"
        case .extensionConfig: "ecds"
        }
    }
}
