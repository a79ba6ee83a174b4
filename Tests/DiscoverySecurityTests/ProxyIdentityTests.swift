import CertificateAuthority
import Discovery
import EnvoyAPI
import Foundation
import GRPCCore
import Logging
import MeshModel
import SwiftProtobuf
import Testing
import X509
import XDSServer

/// The provider only hands a proxy the secrets of the identity it proved, and refuses nodes that claim
/// another one.
@Suite("Proxy identity and SDS scoping")
struct ProxyIdentityTests {
    static func makeProvider(trustNodeMetadata: Bool = false) throws -> (MeshResourceProvider, CertificateAuthority) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-identity-\(UUID().uuidString)")
        let ca = try CertificateAuthority.load(
            stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions())
        let logger = Logger(label: "test")
        let authenticator = ProxyAuthenticator(ca: ca, trustNodeMetadata: trustNodeMetadata, logger: logger)
        let security = ProxySecurity(authenticator: authenticator, certificates: WorkloadCertificates(ca: ca))
        return (MeshResourceProvider(snapshot: MeshSnapshot.build(from: []), security: security), ca)
    }

    static func node(namespace: String, serviceAccount: String) -> Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.0.0.1~pod.\(namespace)~\(namespace).svc.cluster.local"
        node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: namespace)
        node.metadata.fields["SERVICE_ACCOUNT"] = Google_Protobuf_Value(stringValue: serviceAccount)
        return node
    }

    static func peer(token: String?, remote: String = "ipv4:10.0.0.1:5000") -> PeerInfo {
        var metadata: Metadata = [:]
        if let token { metadata.addString("Bearer \(token)", forKey: "authorization") }
        return PeerInfo(remotePeer: remote, metadata: metadata)
    }

    @Test func aTokenForOneIdentityDoesNotAdmitAnother() throws {
        let (provider, ca) = try Self.makeProvider()
        let token = try ca.mintToken(namespace: "default", serviceAccount: "sleep", ttl: .seconds(600))
        #expect(throws: (any Error).self) {
            _ = try provider.admit(
                node: Self.node(namespace: "default", serviceAccount: "httpbin"), peer: Self.peer(token: token))
        }
        #expect(throws: (any Error).self) {
            _ = try provider.admit(
                node: Self.node(namespace: "default", serviceAccount: "sleep"), peer: Self.peer(token: nil))
        }
    }

    @Test func sdsServesOnlyTheProvenIdentity() async throws {
        let (provider, ca) = try Self.makeProvider()
        let token = try ca.mintToken(namespace: "default", serviceAccount: "sleep", ttl: .seconds(600))
        let client = try provider.admit(
            node: Self.node(namespace: "default", serviceAccount: "sleep"), peer: Self.peer(token: token))
        let secrets = await provider.resources(.secret, for: client).resources
        #expect(secrets.map(\.name).sorted() == ["ROOTCA", "default"])
        let defaultSecret = try #require(secrets.first { $0.name == "default" })
        let decoded = try Envoy_Extensions_TransportSockets_Tls_V3_Secret(serializedBytes: defaultSecret.resource.value)
        let chain = decoded.tlsCertificate.certificateChain.inlineString
        let leafPEM =
            try #require(chain.components(separatedBy: "-----END CERTIFICATE-----").first)
            + "-----END CERTIFICATE-----\n"
        let leaf = try Certificate(pemEncoded: leafPEM)
        let uris = try leaf.extensions.subjectAlternativeNames?.compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
        #expect(uris == ["spiffe://cluster.local/ns/default/sa/sleep"])
    }

    @Test func nodeMetadataIsOnlyTrustedLocallyInDevelopmentMode() throws {
        let (strict, _) = try Self.makeProvider()
        #expect(throws: (any Error).self) {
            _ = try strict.admit(
                node: Self.node(namespace: "default", serviceAccount: "sleep"),
                peer: Self.peer(token: nil, remote: "unix:/tmp/x"))
        }
        let (dev, _) = try Self.makeProvider(trustNodeMetadata: true)
        let local = try dev.admit(
            node: Self.node(namespace: "default", serviceAccount: "sleep"),
            peer: Self.peer(token: nil, remote: "unix:/tmp/x"))
        #expect(local.proxy.workloadIdentity?.spiffeURI == "spiffe://cluster.local/ns/default/sa/sleep")
        #expect(throws: (any Error).self) {
            _ = try dev.admit(
                node: Self.node(namespace: "default", serviceAccount: "sleep"), peer: Self.peer(token: nil))
        }
    }
}
