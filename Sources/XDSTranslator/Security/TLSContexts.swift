import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// The TLS transport sockets of mesh mutual TLS: both sides present SDS `default` and verify the peer against
/// SDS `ROOTCA`, with SAN rules kept inline next to the fetched bundle.
enum TLSContexts {
    static let transportSocketName = "envoy.transport_sockets.tls"
    /// The ALPN a mesh client offers, and the values a PERMISSIVE inbound chain recognises as mesh mTLS.
    static let meshClientALPN = ["istio"]
    static let meshServerALPNMatch = ["istio-peer-exchange", "istio"]

    /// Server side: require a client certificate that chains to ROOTCA and is an SPIFFE identity of `trustDomain`.
    static func meshDownstream(trustDomain: String) -> Envoy_Config_Core_V3_TransportSocket {
        var context = Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext()
        context.commonTlsContext = meshCommon(
            sans: [san(.uri, prefix: "spiffe://\(trustDomain)/")], alpn: [])
        context.requireClientCertificate = Google_Protobuf_BoolValue(true)
        return socket(context)
    }

    /// Client side (ISTIO_MUTUAL or auto-mTLS): present `default`, accept only the destination's identities.
    static func meshUpstream(spiffeURIs: [String], sni: String) -> Envoy_Config_Core_V3_TransportSocket {
        var context = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        context.commonTlsContext = meshCommon(sans: spiffeURIs.map { san(.uri, exact: $0) }, alpn: meshClientALPN)
        context.sni = sni
        return socket(context)
    }

    private static func meshCommon(
        sans: [Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher], alpn: [String]
    ) -> Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext {
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        common.tlsCertificateSdsSecretConfigs = [TLSParts.sds(SecretName.workloadCertificate)]
        var combined = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext.CombinedCertificateValidationContext()
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        validation.matchTypedSubjectAltNames = sans
        combined.defaultValidationContext = validation
        combined.validationContextSdsSecretConfig = TLSParts.sds(SecretName.rootCA)
        common.combinedValidationContext = combined
        common.alpnProtocols = alpn
        return common
    }

    private static func san(
        _ type: Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher.SanType, exact: String? = nil,
        prefix: String? = nil
    ) -> Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher {
        var matcher = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
        matcher.sanType = type
        var string = Envoy_Type_Matcher_V3_StringMatcher()
        if let exact { string.exact = exact } else if let prefix { string.prefix = prefix }
        matcher.matcher = string
        return matcher
    }

    private static func file(_ path: String) -> Envoy_Config_Core_V3_DataSource {
        var source = Envoy_Config_Core_V3_DataSource()
        source.filename = path
        return source
    }

    private static func socket(_ context: any SwiftProtobuf.Message) -> Envoy_Config_Core_V3_TransportSocket {
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = transportSocketName
        socket.typedConfig = packAny(context)
        return socket
    }
}
