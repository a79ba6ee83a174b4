import EnvoyAPI
import SwiftProtobuf

/// Small constructors for the protobuf values every generator repeats.
enum ProtoValues {
    /// Istio's default `connect_timeout` for every cluster.
    static let connectTimeout = Google_Protobuf_Duration(seconds: 10, nanos: 0)
    /// `0s`: Istio disables Envoy's default 15 s route timeout.
    static let noTimeout = Google_Protobuf_Duration(seconds: 0, nanos: 0)

    /// A TCP socket address. Out-of-range ports (from bad input) are clamped rather than trapping.
    static func socketAddress(_ address: String, port: Int) -> Envoy_Config_Core_V3_Address {
        var socket = Envoy_Config_Core_V3_SocketAddress()
        socket.address = address
        socket.portValue = UInt32(clamping: port)
        var result = Envoy_Config_Core_V3_Address()
        result.socketAddress = socket
        return result
    }

    /// The aggregated (ADS) config source over the v3 API, for EDS and RDS.
    static var ads: Envoy_Config_Core_V3_ConfigSource {
        var source = Envoy_Config_Core_V3_ConfigSource()
        source.ads = Envoy_Config_Core_V3_AggregatedConfigSource()
        source.resourceApiVersion = .v3
        return source
    }

    /// A duration of `seconds`, clamped to protobuf's range (0 to 10,000 years).
    static func duration(seconds: Double) -> Google_Protobuf_Duration {
        let clamped = max(0, min(seconds, 315_576_000_000))
        let whole = clamped.rounded(.down)
        return Google_Protobuf_Duration(seconds: Int64(whole), nanos: Int32((clamped - whole) * 1_000_000_000))
    }

    static func uint32(_ value: Int) -> Google_Protobuf_UInt32Value {
        Google_Protobuf_UInt32Value(UInt32(clamping: value))
    }
}
