import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// TLS origination for DestinationRule `tls` SIMPLE and MUTUAL.
///
/// istiod serves file certificates to Envoy over SDS through istio-agent; meshd has no agent, so Envoy reads
/// the files itself (`filename` data sources): the paths must exist on the proxy, and a rotated file is picked
/// up only when the cluster is pushed again.
extension TLSContexts {
    /// The CA bundle used when `caCertificates` is not set (istiod's "system" roots), at Debian's path.
    static let systemCABundle = "/etc/ssl/certs/ca-certificates.crt"

    /// Files named by the rule: `clientCertificate`/`privateKey` (MUTUAL), `caCertificates` (or the system
    /// roots) with `subjectAltNames`; no verification with `insecureSkipVerify`.
    static func fileUpstream(_ tls: ClientTLSSettings, http2: Bool) -> Envoy_Config_Core_V3_TransportSocket {
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        if tls.mode == .mutual, let certificate = tls.clientCertificate, let key = tls.privateKey {
            var pair = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
            pair.certificateChain = TLSParts.file(certificate)
            pair.privateKey = TLSParts.file(key)
            common.tlsCertificates = [pair]
        }
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        if !tls.insecureSkipVerify {
            validation.trustedCa = TLSParts.file(tls.caCertificates ?? systemCABundle)
            validation.matchTypedSubjectAltNames = tls.subjectAltNames.map(TLSParts.subjectAltName)
        }
        common.validationContext = validation
        if http2 { common.alpnProtocols = ["h2"] }
        return upstreamSocket(common, sni: tls.sni)
    }

    /// A gateway's origination with `credentialName`: the key pair from SDS `kubernetes://<name>` (MUTUAL) and the
    /// roots from `kubernetes://<name>-cacert`, as istiod names them.
    static func credentialUpstream(
        _ tls: ClientTLSSettings, credential: String, http2: Bool
    )
        -> Envoy_Config_Core_V3_TransportSocket
    {
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        if tls.mode == .mutual { common.tlsCertificateSdsSecretConfigs = [TLSParts.sds("kubernetes://\(credential)")] }
        if tls.insecureSkipVerify {
            common.validationContext = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        } else {
            var combined =
                Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext.CombinedCertificateValidationContext()
            var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
            validation.matchTypedSubjectAltNames = tls.subjectAltNames.map(TLSParts.subjectAltName)
            combined.defaultValidationContext = validation
            combined.validationContextSdsSecretConfig = TLSParts.sds("kubernetes://\(credential)-cacert")
            common.combinedValidationContext = combined
        }
        if http2 { common.alpnProtocols = ["h2"] }
        return upstreamSocket(common, sni: tls.sni)
    }

    private static func upstreamSocket(
        _ common: Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext, sni: String?
    )
        -> Envoy_Config_Core_V3_TransportSocket
    {
        var context = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        context.commonTlsContext = common
        context.sni = sni ?? ""
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = transportSocketName
        socket.typedConfig = packAny(context)
        return socket
    }

    /// A SAN rule: URI for SPIFFE identities, DNS otherwise.
}
