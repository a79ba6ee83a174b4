import EnvoyAPI
import SwiftProtobuf

/// The inline route configuration of an inbound HTTP filter chain: everything to the inbound cluster.
enum InboundRoutes {
    static func configuration(_ port: Int) -> Envoy_Config_Route_V3_RouteConfiguration {
        let cluster = ClusterName.inbound(port: port)
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "inbound|http|\(port)"
        host.domains = ["*"]
        var route = RouteBuilder.prefixRoute(name: "default", toCluster: cluster)
        // As istiod's inbound route: no timeout, a gRPC caller's grpc-timeout header honoured.
        route.route.maxStreamDuration = RouteBuilder.grpcTimeoutFromHeader
        host.routes = [route]
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = cluster
        configuration.virtualHosts = [host]
        configuration.validateClusters = Google_Protobuf_BoolValue(false)
        return configuration
    }
}
