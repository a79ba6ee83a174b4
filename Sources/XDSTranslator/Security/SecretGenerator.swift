import EnvoyAPI

/// SDS: `default` (the proxy's own chain and key) and `ROOTCA` (the trust bundle), from the secrets the caller
/// passed in. Nothing else: the server answers other names with nothing.
struct SecretGenerator: ResourceGenerator {
    /// The proxy's own key material comes from the CA, outside the snapshot; routers also get the credentials
    /// (Secrets) their Gateways name.
    static let dependencies = ConfigDependencies(
        kinds: ConfigDependencies.scoping.union([.gateway, .secret]), meshConfig: true, fetchedJWKS: false,
        endpoints: .none)

    func resources(for context: GenerationContext<SecretInputs>) -> [TranslatedMessage] {
        guard let secrets = context.inputs.secrets else { return [] }
        var result: [Envoy_Extensions_TransportSockets_Tls_V3_Secret] = []
        if let chain = secrets.certificateChainPEM, let key = secrets.privateKeyPEM {
            var certificate = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
            certificate.certificateChain = Self.inline(chain)
            certificate.privateKey = Self.inline(key)
            var secret = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
            secret.name = SecretName.workloadCertificate
            secret.tlsCertificate = certificate
            result.append(secret)
        }
        if let bundle = secrets.trustBundlePEM {
            var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
            validation.trustedCa = Self.inline(bundle)
            var secret = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
            secret.name = SecretName.rootCA
            secret.validationContext = validation
            result.append(secret)
        }
        // Routers also get the gateway credentials (`kubernetes://...`) they may read (Gateway/GatewaySecrets).
        return result.map { TranslatedMessage(name: $0.name, message: $0) } + GatewaySecrets.resources(for: context)
    }

    static func inline(_ text: String) -> Envoy_Config_Core_V3_DataSource {
        var source = Envoy_Config_Core_V3_DataSource()
        source.inlineString = text
        return source
    }
}
