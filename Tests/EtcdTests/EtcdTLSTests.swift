import EtcdClient
import Foundation
import MeshTestSupport
import Registry
import Testing

/// TLS towards etcd: an etcd that serves https only and requires client certificates (`--client-cert-auth`), with a
/// throwaway CA made by openssl.
@Suite("etcd over TLS", .tags(.etcd), .serialized)
struct EtcdTLSTests {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate, all PEM, in `directory`.
    static func makeCertificates(in directory: URL) throws {
        let d = directory.path
        let commands: [[String]] = [
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
                "1",
                "-subj", "/CN=etcd-test-ca", "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem",
            ],
            [
                "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=etcd",
                "-keyout", "\(d)/server.key", "-out", "\(d)/server.csr",
            ],
            [
                "openssl", "x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", "\(d)/server.ext", "-out", "\(d)/server.pem",
            ],
            [
                "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                "/CN=meshd",
                "-keyout", "\(d)/client.key", "-out", "\(d)/client.csr",
            ],
            [
                "openssl", "x509", "-req", "-in", "\(d)/client.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", "\(d)/client.ext", "-out", "\(d)/client.pem",
            ],
        ]
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n".write(
            toFile: "\(d)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(d)/client.ext", atomically: true, encoding: .utf8)
        for command in commands {
            let result = try Subprocess.run(command)
            try #require(result.succeeded, "\(command.joined(separator: " ")): \(result.stderr)")
        }
    }

    @Test("the source reads an etcd with client-certificate authentication; without a certificate it cannot")
    func clientCertificates() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-etcd-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeCertificates(in: directory)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let client = EtcdConnection.TLS(
            trustedCAFile: path("ca.pem"), certificateFile: path("client.pem"), keyFile: path("client.key"))
        let etcd = try await EtcdServer.start(
            tls: (path("server.pem"), path("server.key"), path("ca.pem")), clientTLS: client)
        defer { etcd.stop() }
        #expect(etcd.url.hasPrefix("https://"))
        try await etcd.withSession {
            try await $0.put(EtcdFixtures.vsKey(), value: Array(EtcdFixtures.virtualService(rev: "tls").utf8))
        }
        let listing = try await EtcdClient.withSession(etcd.connection()) { try await $0.list(prefix: "/meshd/") }
        #expect(listing.keyValues.map(\.key) == [EtcdFixtures.vsKey()])

        // Trusting the CA but presenting no client certificate is refused by etcd.
        var anonymous = etcd.connection()
        anonymous.tls = EtcdConnection.TLS(trustedCAFile: path("ca.pem"))
        await #expect(throws: (any Error).self) {
            try await EtcdClient.withSession(anonymous) { try await $0.list(prefix: "/meshd/") }
        }
        // Plain http towards an https-only etcd fails too.
        var plain = etcd.connection()
        plain.endpoints = [EtcdEndpoint(host: .ipv4("127.0.0.1"), port: etcd.clientPort, usesTLS: false)]
        plain.tls = EtcdConnection.TLS()
        await #expect(throws: (any Error).self) {
            try await EtcdClient.withSession(plain) { try await $0.list(prefix: "/meshd/") }
        }
    }
}
