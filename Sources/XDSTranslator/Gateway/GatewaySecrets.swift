import EnvoyAPI
import Foundation
import MeshModel

/// SDS for a router: the TLS credentials its Gateways name (`credentialName`), as `kubernetes://<name>` (certificate
/// chain and key) and `kubernetes://<name>-cacert` (the client CA of MUTUAL servers).
///
/// A credential is read from the gateway workload's own namespace, and only served when the proxy proved an identity
/// in that namespace (istiod's default rule: a gateway may read the Secrets of its namespace). The CA of `<name>-cacert`
/// comes from the Secret `<name>-cacert`, else from `ca.crt` (or `cacert`) in `<name>` itself. A Secret that is
/// missing, or lacks what is asked of it, yields no resource, and Envoy keeps the listener warming.
enum GatewaySecrets {
    static func resources(for context: GenerationContext<SecretInputs>) -> [TranslatedMessage] {
        guard context.inputs.kind == .router, let identity = context.inputs.identity else { return [] }
        let namespace = identity.namespace
        guard namespace == context.inputs.namespace else { return [] }
        var result: [TranslatedMessage] = []
        var done: Set<String> = []
        for port in context.mergedGateway.ports {
            for entry in port.servers {
                guard let tls = entry.server.tls, let credential = tls.credentialName, !credential.contains("://"),
                    [.simple, .mutual, .optionalMutual].contains(tls.mode), done.insert(credential).inserted
                else { continue }
                let secret = context.snapshot.tlsSecret(namespace: namespace, name: credential)
                let gateway = entry.gateway.sourceKey
                let secretKey = ResourceKey(kind: .secret, namespace: namespace, name: credential)
                if let secret, let chain = secret.certificateChain, let key = secret.privateKey {
                    var certificate = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
                    certificate.certificateChain = inline(chain)
                    certificate.privateKey = inline(key)
                    var resource = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
                    resource.name = GatewayTLS.resourceName(credential: credential)
                    resource.tlsCertificate = certificate
                    result.append(
                        TranslatedMessage(name: resource.name, message: resource, sources: [secretKey, gateway]))
                }
                guard tls.mode != .simple else { continue }
                let caSecret = context.snapshot.tlsSecret(namespace: namespace, name: credential + GatewayTLS.caSuffix)
                if let ca = caSecret?.caCertificate ?? caSecret?.certificateChain ?? secret?.caCertificate {
                    let fromCASecret = caSecret?.caCertificate != nil || caSecret?.certificateChain != nil
                    let caSource =
                        fromCASecret
                        ? ResourceKey(kind: .secret, namespace: namespace, name: credential + GatewayTLS.caSuffix)
                        : secretKey
                    var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
                    validation.trustedCa = inline(ca)
                    var resource = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
                    resource.name = GatewayTLS.resourceName(credential: credential + GatewayTLS.caSuffix)
                    resource.validationContext = validation
                    result.append(
                        TranslatedMessage(name: resource.name, message: resource, sources: [caSource, gateway]))
                }
            }
        }
        return result
    }

    private static func inline(_ pem: String) -> Envoy_Config_Core_V3_DataSource {
        var source = Envoy_Config_Core_V3_DataSource()
        source.inlineBytes = Data(pem.utf8)
        return source
    }
}
