import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// The downstream TLS context of a gateway server that terminates TLS (istiod's `BuildListenerTLSContext`).
///
/// Key material never appears here: `credentialName` becomes SDS references (`kubernetes://<name>`, and
/// `kubernetes://<name>-cacert` for the client CA), ISTIO_MUTUAL uses the proxy's own SDS `default` and `ROOTCA`,
/// and certificate files are referenced by path for Envoy to read.
enum GatewayTLS {
    /// ALPN of an HTTPS (or terminated TLS) gateway server.
    static let httpALPN = ["h2", "http/1.1"]

    /// SDS resource name of a credential: `kubernetes://<name>`, unless the name already carries a scheme.
    static func resourceName(credential name: String) -> String {
        name.contains("://") ? name : "kubernetes://\(name)"
    }

    /// The suffix istiod appends to a credential name for its client CA bundle.
    static let caSuffix = "-cacert"

    static func downstreamContext(
        _ tls: ServerTLSSettings
    ) -> Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext {
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        common.alpnProtocols = httpALPN
        let verifiesClient = tls.mode == .mutual || tls.mode == .optionalMutual || tls.mode == .istioMutual
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        validation.matchTypedSubjectAltNames = tls.subjectAltNames.map(TLSParts.subjectAltName)
        if tls.mode != .istioMutual {
            validation.verifyCertificateSpki = tls.verifyCertificateSpki
            validation.verifyCertificateHash = tls.verifyCertificateHash
        }
        switch tls.mode {
        case .istioMutual:
            common.tlsCertificateSdsSecretConfigs = [TLSParts.sds(SecretName.workloadCertificate)]
            var combined =
                Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext.CombinedCertificateValidationContext()
            combined.defaultValidationContext = validation
            combined.validationContextSdsSecretConfig = TLSParts.sds(SecretName.rootCA)
            common.combinedValidationContext = combined
        case _ where tls.credentialName != nil:
            let credential = tls.credentialName ?? ""
            common.tlsCertificateSdsSecretConfigs = [TLSParts.sds(resourceName(credential: credential))]
            if verifiesClient {
                var combined =
                    Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext.CombinedCertificateValidationContext()
                combined.defaultValidationContext = validation
                combined.validationContextSdsSecretConfig = TLSParts.sds(
                    resourceName(credential: credential + caSuffix))
                common.combinedValidationContext = combined
            } else if !tls.subjectAltNames.isEmpty {
                common.validationContext = validation
            }
        default:
            if let certificate = tls.serverCertificate, let key = tls.privateKey {
                var pair = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
                pair.certificateChain = TLSParts.file(certificate)
                pair.privateKey = TLSParts.file(key)
                common.tlsCertificates = [pair]
            }
            if verifiesClient, let ca = tls.caCertificates {
                validation.trustedCa = TLSParts.file(ca)
                common.validationContext = validation
            } else if !tls.subjectAltNames.isEmpty {
                common.validationContext = validation
            }
        }
        if tls.mode == .simple || tls.mode == .mutual || tls.mode == .optionalMutual {
            applyParameters(tls, to: &common)
        }
        var context = Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext()
        context.commonTlsContext = common
        context.requireClientCertificate = Google_Protobuf_BoolValue(tls.mode == .mutual || tls.mode == .istioMutual)
        return context
    }

    /// The context as a transport socket.
    static func transportSocket(_ tls: ServerTLSSettings) -> Envoy_Config_Core_V3_TransportSocket {
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = TLSContexts.transportSocketName
        socket.typedConfig = packAny(downstreamContext(tls))
        return socket
    }

    /// minProtocolVersion, maxProtocolVersion and cipherSuites, only where set (istiod's `applyServerTLSSettings`).
    private static func applyParameters(
        _ tls: ServerTLSSettings, to common: inout Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext
    ) {
        var parameters = Envoy_Extensions_TransportSockets_Tls_V3_TlsParameters()
        var set = false
        if let minimum = tls.minProtocolVersion, minimum != .auto {
            parameters.tlsMinimumProtocolVersion = envoyVersion(minimum)
            set = true
        }
        if let maximum = tls.maxProtocolVersion, maximum != .auto {
            parameters.tlsMaximumProtocolVersion = envoyVersion(maximum)
            set = true
        }
        if !tls.cipherSuites.isEmpty {
            var seen: Set<String> = []
            parameters.cipherSuites = tls.cipherSuites.filter { seen.insert($0).inserted }
            set = true
        }
        if set { common.tlsParams = parameters }
    }

    private static func envoyVersion(
        _ version: ServerTLSSettings.ProtocolVersion
    )
        -> Envoy_Extensions_TransportSockets_Tls_V3_TlsParameters.TlsProtocol
    {
        switch version {
        case .auto: .tlsAuto
        case .v1_0: .tlsv10
        case .v1_1: .tlsv11
        case .v1_2: .tlsv12
        case .v1_3: .tlsv13
        }
    }
}
