import Foundation
import Testing

@testable import Registry

/// Paths as the API server spells them, kubeconfig resolution, and the informer's state transitions.
@Suite struct KubernetesKindTests {
    @Test func collectionPaths() {
        let paths = KubernetesKind.watched.map(\.collectionPath)
        #expect(paths.contains("/api/v1/services"))
        #expect(paths.contains("/apis/discovery.k8s.io/v1/endpointslices"))
        #expect(paths.contains("/apis/networking.istio.io/v1/virtualservices"))
        #expect(paths.contains("/apis/security.istio.io/v1/authorizationpolicies"))
        #expect(KubernetesKind.watched.first { $0.kind == "Secret" }?.fieldSelector == "type=kubernetes.io/tls")
    }

    @Test func kubeconfigContextAndToken() throws {
        let yaml = """
            apiVersion: v1
            kind: Config
            current-context: a
            clusters:
            - name: c1
              cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: "\(Data("CA".utf8).base64EncodedString())"}
            - name: c2
              cluster: {server: "http://127.0.0.1:8080"}
            users:
            - name: u1
              user: {token: secret}
            contexts:
            - name: a
              context: {cluster: c1, user: u1}
            - name: b
              context: {cluster: c2, user: u1}
            """
        let current = try Kubeconfig.parse(yaml: yaml, context: nil, file: "kc", baseDirectory: "/tmp")
        #expect(current.server == "https://10.0.0.1:6443")
        #expect(current.certificateAuthorityPEM == "CA")
        #expect(current.credentials == .token("secret"))
        let other = try Kubeconfig.parse(yaml: yaml, context: "b", file: "kc", baseDirectory: "/tmp")
        #expect(other.server == "http://127.0.0.1:8080")
        #expect(throws: KubernetesError.self) {
            try Kubeconfig.parse(yaml: yaml, context: "zz", file: "kc", baseDirectory: "/")
        }
    }

    @Test func relistReportsDeletionsInTheGapAndSkipsUnchanged() throws {
        var state = InformerState()
        let a = KubernetesObject(namespace: "default", name: "a", resourceVersion: "1", json: "{a}")
        let b = KubernetesObject(namespace: "default", name: "b", resourceVersion: "2", json: "{b}")
        _ = state.replace(with: [a, b], resourceVersion: "2")
        let change = state.replace(with: [a], resourceVersion: "9")
        #expect(change.upserted.isEmpty)
        #expect(change.deleted.map(\.name) == ["b"])
        #expect(state.resourceVersion == "9")
        #expect(try state.apply(.bookmark(resourceVersion: "12")).isEmpty)
        #expect(state.resourceVersion == "12")
        #expect(throws: KubernetesError.gone("expired")) { try state.apply(.error(code: 410, message: "expired")) }
    }
}
