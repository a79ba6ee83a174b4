import CertificateAuthority
import EtcdClient
import Foundation
import Logging
import Synchronization
import SwiftASN1
import X509
import MeshTestSupport
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

    @Test("a root rotated on one replica is stored, adopted by the other, and loaded with its previous root by a new one")
    func rotationReachesEveryReplica() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let (a, b, c) = (try stateDirectory(), try stateDirectory(), try stateDirectory())
        defer { for path in [a, b, c] { try? FileManager.default.removeItem(atPath: path) } }
        var options = CAOptions()
        options.trustDomain = "cluster.local"
        let layout = EtcdFixtures.layout
        for directory in [a, b] {
            _ = try await EtcdSharedCA.share(
                connection: etcd.connection(), layout: layout, stateDirectory: directory, trustDomain: "cluster.local")
        }
        let caA = try CertificateAuthority.load(stateDirectory: a, pluginDirectory: nil, options: options)
        let caB = try CertificateAuthority.load(stateDirectory: b, pluginDirectory: nil, options: options)
        let oldBundle = caB.trustBundlePEM
        let store = EtcdSharedCA.RootStore(connection: etcd.connection(), layout: layout)
        let pushes = Mutex([String: Int]())
        func sync(_ ca: CertificateAuthority, _ directory: String, _ name: String) -> SharedRootSync {
            SharedRootSync(
                store: store, ca: ca, stateDirectory: directory, interval: .seconds(1), logger: Logger(label: "test")
            ) { pushes.withLock { $0[name, default: 0] += 1 } }
        }
        let (syncA, syncB) = (sync(caA, a, "a"), sync(caB, b, "b"))
        let before = try #require(try await store.read())

        try await syncA.rotate()
        #expect(caA.status.trustedRootCount == 2, "the old root stays trusted for the overlap")
        let after = try #require(try await store.read())
        #expect(after.version != before.version)
        #expect(after.root.certificate == Array(file(a, "root-cert.pem") ?? Data()))
        #expect(after.root.previous == before.root.certificate, "the replaced root is stored as the previous one")
        #expect(caB.trustBundlePEM == oldBundle, "B has not checked yet")
        // A leaf of A's new root is not yet trusted by B.
        let leaf = try caA.issueWorkloadCertificate(
            for: SPIFFEIdentity(trustDomain: "cluster.local", namespace: "default", serviceAccount: "reviews"))
        let chain = try PEMDocument.parseMultiple(pemString: leaf.certificateChainPEM).map {
            try Certificate(pemDocument: $0)
        }
        #expect(throws: (any Error).self) { try caB.verifyClientChain(chain) }

        try await syncB.check()
        #expect(caB.trustBundlePEM == caA.trustBundlePEM)
        #expect(caB.status.rootNotAfter == caA.status.rootNotAfter)
        #expect(try caB.verifyClientChain(chain).serviceAccount == "reviews")
        for name in ["root-cert.pem", "root-key.pem", "previous-root-cert.pem"] {
            #expect(file(a, name) != nil && file(a, name) == file(b, name), "\(name) differs between the replicas")
        }
        #expect(pushes.withLock { $0 } == ["a": 1, "b": 1], "each replica pushed ROOTCA once")
        try await syncB.check()
        #expect(pushes.withLock { $0["b"] } == 1, "an unchanged root is not adopted again")

        // A write made from a stale version is refused: two rotations never both win.
        #expect(try await store.replace(with: before.root, ifVersion: before.version) == false)
        // A replica that starts now loads the root and its previous one.
        #expect(
            try await EtcdSharedCA.share(
                connection: etcd.connection(), layout: layout, stateDirectory: c, trustDomain: "cluster.local")
                == .loaded)
        let caC = try CertificateAuthority.load(stateDirectory: c, pluginDirectory: nil, options: options)
        #expect(caC.trustBundlePEM == caA.trustBundlePEM)
        #expect(caC.status.trustedRootCount == 2)
    }

    @Test("two meshd replicas: POST /debug/ca/rotate-root on one, and the other trusts and signs with the new root")
    func rotationThroughTheAdminReachesTheOtherProcess() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd-root") { network in
            let set = try await ReplicaSet.start(
                ["a", "b"], etcd: etcd, in: network, leaseTTL: 3,
                extraArguments: ["--shared-root-check-interval", "200ms"])
            let expiry = "citadel_server_root_cert_expiry_timestamp"
            #expect(try set.metric("meshd_ca_trusted_roots", of: "b") == 1)
            #expect(try set.metric(expiry, of: "a") == set.metric(expiry, of: "b"))
            // The new root's expiry differs from the old one's only by the seconds between them.
            try await Task.sleep(for: .seconds(1.1))
            let admin = try set["a"].adminAddress
            let answer = try Subprocess.run(
                ["curl", "-sS", "--noproxy", "*", "--max-time", "10", "-X", "POST", "http://\(admin)/debug/ca/rotate-root"],
                timeout: .seconds(15))
            let compact = answer.stdout.filter { !$0.isWhitespace }
            #expect(compact.contains("\"trustedRoots\":2"), "\(answer.stdout) \(answer.stderr)")
            let rotated = try #require(try set.metric(expiry, of: "a"))
            _ = try await Poll.until("replica b on the rotated root", timeout: .seconds(10)) { () -> Bool? in
                try set.metric(expiry, of: "b") == rotated && set.metric("meshd_ca_trusted_roots", of: "b") == 2
                    ? true : nil
            }
        }
    }
}
