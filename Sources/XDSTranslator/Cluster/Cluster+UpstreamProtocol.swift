import EnvoyAPI
import MeshModel

extension Envoy_Config_Cluster_V3_Cluster {
    static let httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

    /// HTTP2 and GRPC ports speak HTTP/2 upstream; Envoy's default is HTTP/1.1, so say so explicitly.
    mutating func applyUpstreamProtocol(_ serviceProtocol: ServiceProtocol) {
        guard serviceProtocol == .http2 || serviceProtocol == .grpc else { return }
        var explicit = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.ExplicitHttpConfig()
        explicit.http2ProtocolOptions = Envoy_Config_Core_V3_Http2ProtocolOptions()
        var options = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        options.explicitHTTPConfig = explicit
        typedExtensionProtocolOptions[Self.httpProtocolOptionsKey] = packAny(options)
    }
}
