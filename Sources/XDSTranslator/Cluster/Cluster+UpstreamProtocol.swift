import EnvoyAPI
import MeshModel
import SwiftProtobuf

extension Envoy_Config_Cluster_V3_Cluster {
    static let httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

    /// HTTP2 and GRPC ports speak HTTP/2 upstream; Envoy's default is HTTP/1.1, so say so explicitly.
    mutating func applyUpstreamProtocol(_ serviceProtocol: ServiceProtocol) {
        setHTTPOptions(UpstreamHTTPOptions(protocol: serviceProtocol))
    }

    /// Packs `options` into `typed_extension_protocol_options`, or leaves it out when it says nothing.
    mutating func setHTTPOptions(_ options: UpstreamHTTPOptions) {
        guard let message = options.message else { return }
        typedExtensionProtocolOptions[Self.httpProtocolOptionsKey] = packAny(message)
    }
}

/// The `HttpProtocolOptions` of one cluster, gathered from the port's protocol and the DestinationRule before
/// they are packed once.
struct UpstreamHTTPOptions {
    /// HTTP/2 explicitly (an HTTP2 or GRPC port, or `h2UpgradePolicy: UPGRADE`).
    var http2: Bool
    /// `useClientProtocol`: the downstream's protocol.
    var useDownstreamProtocol = false
    /// `maxConcurrentStreams`, applied only to HTTP/2 as istiod does.
    var maxConcurrentStreams: UInt32?
    var common = Envoy_Config_Core_V3_HttpProtocolOptions()
    /// `auto_sni` and `auto_san_validation` for TLS origination without an explicit SNI.
    var upstream = Envoy_Config_Core_V3_UpstreamHttpProtocolOptions()

    init(protocol serviceProtocol: ServiceProtocol) {
        http2 = serviceProtocol == .http2 || serviceProtocol == .grpc
    }

    var message: Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions? {
        var http2Options = Envoy_Config_Core_V3_Http2ProtocolOptions()
        if let maxConcurrentStreams, http2 || useDownstreamProtocol {
            http2Options.maxConcurrentStreams = Google_Protobuf_UInt32Value(maxConcurrentStreams)
        }
        var options = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        if useDownstreamProtocol {
            var downstream = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.UseDownstreamHttpConfig()
            downstream.httpProtocolOptions = Envoy_Config_Core_V3_Http1ProtocolOptions()
            downstream.http2ProtocolOptions = http2Options
            options.useDownstreamProtocolConfig = downstream
        } else if http2 {
            var explicit = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.ExplicitHttpConfig()
            explicit.http2ProtocolOptions = http2Options
            options.explicitHTTPConfig = explicit
        }
        if common != Envoy_Config_Core_V3_HttpProtocolOptions() { options.commonHTTPProtocolOptions = common }
        if upstream != Envoy_Config_Core_V3_UpstreamHttpProtocolOptions() {
            options.upstreamHTTPProtocolOptions = upstream
        }
        if options == Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions() { return nil }
        // Envoy requires a protocol choice in these options: HTTP/1.1 when nothing else was chosen.
        if options.upstreamProtocolOptions == nil {
            var explicit = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.ExplicitHttpConfig()
            explicit.httpProtocolOptions = Envoy_Config_Core_V3_Http1ProtocolOptions()
            options.explicitHTTPConfig = explicit
        }
        return options
    }
}

extension ProtoValues {
    /// A protobuf duration from a Swift one (sub-nanosecond parts dropped).
    static func duration(_ duration: Duration) -> Google_Protobuf_Duration {
        let (seconds, attoseconds) = duration.components
        return Google_Protobuf_Duration(seconds: seconds, nanos: Int32(attoseconds / 1_000_000_000))
    }
}
