import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

/// A snapshot and a proxy built from YAML, as a user would write them, plus the translator's output for them.
struct MeshFixture {
    let snapshot: MeshSnapshot
    let proxy: Proxy
    /// The proxy's own key material, as the provider would pass it; nil for proxies without an identity.
    let secrets: ProxySecrets?
    let translator = XDSTranslator()

    /// Decodes `yaml` (failing the test on any decode error) and parses the proxy's Istio node id.
    init(
        yaml: String, file: String = "input.yaml", nodeID: String, metadata: [String: String] = [:],
        labels: [String: String] = [:], identity: WorkloadIdentity? = nil, secrets: ProxySecrets? = nil,
        security: SecurityFixture? = nil, meshConfig: MeshConfig = .default, locality: String? = nil
    ) throws {
        let decoded = ConfigDecoder.decode(yaml: yaml, file: file)
        #expect(decoded.errors.isEmpty, "decode errors in \(file): \(decoded.errors)")
        var snapshot = MeshSnapshot.build(hashed: decoded.objects.map(HashedConfigObject.init), meshConfig: meshConfig)
        security?.apply(to: &snapshot)
        self.snapshot = snapshot
        var proxy = try Proxy(nodeID: nodeID, metadata: metadata, labels: labels)
        proxy.workloadIdentity = identity
        proxy.locality = locality
        self.proxy = proxy
        self.secrets = secrets
    }

    func messages(_ typeURL: String) -> [TranslatedMessage] {
        translator.generateMessages(typeURL: typeURL, snapshot: snapshot, proxy: proxy, secrets: secrets)
    }

    /// The typed resources of one type, keyed by name. Fails the test when a resource has another type.
    func resources<M>(_ typeURL: String, as type: M.Type) -> [String: M] {
        var result: [String: M] = [:]
        for item in messages(typeURL) {
            guard let message = item.message as? M else {
                Issue.record("\(item.name) is \(Swift.type(of: item.message)), not \(M.self)")
                continue
            }
            result[item.name] = message
        }
        return result
    }
}

/// A sidecar node id in Istio's format.
func sidecarID(ip: String, pod: String, namespace: String = "default") -> String {
    "sidecar~\(ip)~\(pod).\(namespace)~\(namespace).svc.cluster.local"
}
