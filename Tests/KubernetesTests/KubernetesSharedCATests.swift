import CertificateAuthority
import Foundation
import Logging
import MeshTestSupport
import MeshdApp
import Registry
import Testing

/// `istio-ca-secret` as the store of the shared self-signed CA: a Secret that istiod wrote (root, no token key)
/// keeps its root and gains meshd's token key; a Secret with a certificate but no key is refused, nothing guessed.
@Suite(.serialized) struct KubernetesSharedCATests {
    static let apiPort = 23050

    func stateDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func secret(_ data: [String: String]) -> String {
        let encoded = data.mapValues { Data($0.utf8).base64EncodedString() }
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Secret", "type": "istio.io/ca-root",
            "metadata": ["name": "istio-ca-secret", "namespace": "istio-system"], "data": encoded,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return String(decoding: json, as: UTF8.self)
    }

    @Test func anIstiodSecretKeepsItsRootAndGainsTheTokenKey() async throws {
        // A root made by another CA, standing in for istiod's.
        let other = try stateDirectory()
        let mine = try stateDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: other)
            try? FileManager.default.removeItem(atPath: mine)
        }
        var caOptions = CAOptions()
        caOptions.trustDomain = "cluster.local"
        let options = caOptions
        let istiod = try CertificateAuthority.load(stateDirectory: other, pluginDirectory: nil, options: options)
        let root = try String(contentsOfFile: "\(other)/root-cert.pem", encoding: .utf8)
        let key = try String(contentsOfFile: "\(other)/root-key.pem", encoding: .utf8)
        let cluster = FakeKubernetes()
        try cluster.apply(
            secret(["ca-cert.pem": root, "ca-key.pem": key, "cert-chain.pem": "", "key.pem": "", "root-cert.pem": ""]))
        try await cluster.serving(port: Self.apiPort) { port in
            let outcome = try await KubernetesSharedCA.share(
                connection: KubernetesConnection(server: "http://127.0.0.1:\(port)"), namespace: "istio-system",
                stateDirectory: mine, trustDomain: "cluster.local")
            #expect(outcome == .loaded)
            let ca = try CertificateAuthority.load(stateDirectory: mine, pluginDirectory: nil, options: options)
            #expect(ca.trustBundlePEM == istiod.trustBundlePEM, "the existing root was replaced")
            let text = try #require(cluster.object(kind: "Secret", namespace: "istio-system", name: "istio-ca-secret"))
            let stored = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let data = try #require(stored["data"] as? [String: String])
            let tokenKey = try #require(Data(base64Encoded: data["token-key.pem"] ?? ""))
            #expect(tokenKey == FileManager.default.contents(atPath: "\(mine)/token-key.pem"))
            #expect(Data(base64Encoded: data["ca-cert.pem"] ?? "") == Data(root.utf8), "the root in the Secret changed")
            #expect(cluster.writes.map { "\($0.method) \($0.code)" } == ["PUT 200"])
        }
    }

    @Test func aSecretWithoutItsKeyIsRefused() async throws {
        let directory = try stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = FakeKubernetes()
        try cluster.apply(secret(["ca-cert.pem": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"]))
        try await cluster.serving(port: Self.apiPort) { port in
            let error = await #expect(throws: MeshdSetupError.self) {
                try await KubernetesSharedCA.share(
                    connection: KubernetesConnection(server: "http://127.0.0.1:\(port)"), namespace: "istio-system",
                    stateDirectory: directory, trustDomain: "cluster.local")
            }
            #expect(error?.description.contains("data.ca-key.pem") == true, "\(String(describing: error))")
            #expect(FileManager.default.contents(atPath: "\(directory)/root-cert.pem") == nil, "nothing installed")
            #expect(cluster.writes.isEmpty)
        }
    }

    @Test func aRootRotatedOnOneReplicaReachesTheOtherThroughTheSecret() async throws {
        let (a, b) = (try stateDirectory(), try stateDirectory())
        defer { for path in [a, b] { try? FileManager.default.removeItem(atPath: path) } }
        var caOptions = CAOptions()
        caOptions.trustDomain = "cluster.local"
        let options = caOptions
        let cluster = FakeKubernetes()
        try await cluster.serving { port in
            let connection = KubernetesConnection(server: "http://127.0.0.1:\(port)")
            for directory in [a, b] {
                _ = try await KubernetesSharedCA.share(
                    connection: connection, namespace: "istio-system", stateDirectory: directory,
                    trustDomain: "cluster.local")
            }
            let caA = try CertificateAuthority.load(stateDirectory: a, pluginDirectory: nil, options: options)
            let caB = try CertificateAuthority.load(stateDirectory: b, pluginDirectory: nil, options: options)
            let store = KubernetesSharedCA.RootStore(connection: connection, namespace: "istio-system")
            let before = try #require(try await store.read())
            let syncA = SharedRootSync(
                store: store, ca: caA, stateDirectory: a, interval: .seconds(1), logger: Logger(label: "test")) {}
            let syncB = SharedRootSync(
                store: store, ca: caB, stateDirectory: b, interval: .seconds(1), logger: Logger(label: "test")) {}
            try await syncA.rotate()
            let after = try #require(try await store.read())
            #expect(after.version != before.version)
            #expect(after.root.previous == before.root.certificate)
            #expect(caB.trustBundlePEM != caA.trustBundlePEM)
            try await syncB.check()
            #expect(caB.trustBundlePEM == caA.trustBundlePEM)
            #expect(caB.status.trustedRootCount == 2)
            // The Secret keeps istiod's keys and meshd's token key; a stale update is refused (409).
            let text = try #require(cluster.object(kind: "Secret", namespace: "istio-system", name: "istio-ca-secret"))
            let stored = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let data = try #require(stored["data"] as? [String: String])
            #expect(Set(data.keys).isSuperset(of: ["ca-cert.pem", "ca-key.pem", "token-key.pem", "previous-ca-cert.pem"]))
            #expect(try await store.replace(with: before.root, ifVersion: before.version) == false)
        }
    }
}
