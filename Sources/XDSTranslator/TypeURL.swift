/// The xDS type URLs meshd serves, exactly as Envoy writes them in `DiscoveryRequest.type_url`.
public enum TypeURL {
    public static let cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
    public static let listener = "type.googleapis.com/envoy.config.listener.v3.Listener"
    public static let route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
    public static let endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
    public static let secret = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
}
