import CertificateAuthority
import EtcdClient
import Foundation
import MeshdApp
import Registry
import Testing

/// The self-signed CA shared through etcd: the first replica creates the root and token key under `<prefix>/_ca/`
/// (create-if-absent, one transaction), the others load them, and a token one replica mints is accepted by another.
@Suite("shared CA in etcd", .tags(.etcd), .serialized)
struct EtcdSharedCATests {
    func stateDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func file(_ directory: String, _ name: String) -> Data? {
        FileManager.default.contents(atPath: "\(directory)/\(name)")
    }

    @Test("the first replica creates, the second loads; both sign with one root and accept each other's tokens")
    func replicasShareOneCA() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let (a, b) = (try stateDirectory(), try stateDirectory())
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        // B already has a root of its own (it ran alone before): etcd's must replace it.
        var options = CAOptions()
        options.trustDomain = "cluster.local"
        _ = try CertificateAuthority.load(stateDirectory: b, pluginDirectory: nil, options: options)
        let ownRootOfB = file(b, "root-cert.pem")

        let layout = EtcdFixtures.layout
        let first = try await EtcdSharedCA.share(
            connection: etcd.connection(), layout: layout, stateDirectory: a, trustDomain: "cluster.local")
        let second = try await EtcdSharedCA.share(
            connection: etcd.connection(), layout: layout, stateDirectory: b, trustDomain: "cluster.local")
        #expect(first == .created)
        #expect(second == .loaded)
        for name in ["root-cert.pem", "root-key.pem", "token-key.pem"] {
            #expect(file(a, name) != nil && file(a, name) == file(b, name), "\(name) differs between the replicas")
        }
        #expect(file(b, "root-cert.pem") != ownRootOfB, "B kept its own root")
        let stored = try await etcd.withSession { try await $0.get(layout.reservedKey("ca", "root-cert.pem")) }
        #expect(stored.map { Data($0.value) } == file(a, "root-cert.pem"))
        let mode = try FileManager.default.attributesOfItem(atPath: "\(b)/root-key.pem")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let caA = try CertificateAuthority.load(stateDirectory: a, pluginDirectory: nil, options: options)
        let caB = try CertificateAuthority.load(stateDirectory: b, pluginDirectory: nil, options: options)
        #expect(caA.trustBundlePEM == caB.trustBundlePEM)
        let token = try caA.mintToken(namespace: "default", serviceAccount: "reviews", ttl: .seconds(600))
        let identity = try caB.verifyToken(token)
        #expect(identity.namespace == "default" && identity.serviceAccount == "reviews")
        // The config source ignores the CA's keys.
        #expect(layout.entry(forKey: layout.reservedKey("ca", "root-key.pem")) == .reserved)
    }

    @Test("a partial CA in etcd is refused, not guessed at")
    func partialCAIsRefused() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let directory = try stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let layout = EtcdFixtures.layout
        try await etcd.withSession {
            try await $0.put(layout.reservedKey("ca", "root-cert.pem"), value: Array("x".utf8))
        }
        await #expect(throws: MeshdSetupError.self) {
            try await EtcdSharedCA.share(
                connection: etcd.connection(), layout: layout, stateDirectory: directory, trustDomain: "cluster.local")
        }
        #expect(file(directory, "root-cert.pem") == nil, "nothing was installed")
    }
}
