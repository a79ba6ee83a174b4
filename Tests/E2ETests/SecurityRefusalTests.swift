import CertificateAuthority
import Foundation
import MeshTestSupport
import Testing

/// What a STRICT backend's Envoy refuses: a pod without a sidecar opens TLS straight to the backend's port,
/// presenting a client certificate from another CA, an expired one from meshd's own CA, and (as the control)
/// a valid one from meshd's CA.
@Suite("Client certificate refusals end to end (STRICT)", .serialized, .tags(.e2e))
struct SecurityRefusalTests {
    static let identity = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "default", serviceAccount: "sleep")

    @Test("another CA's certificate and an expired one are refused; a valid one from meshd's CA is accepted")
    func strictRefusesForeignAndExpiredCertificates() async throws {
        try await MeshNetwork.with(label: "refusal") { network in
            let outsider = try network.addPod(name: "legacy", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "httpbin", labels: ["app": "httpbin"], serviceAccount: "httpbin")
            try outsider.removeInterception()
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": SecurityMutualTLSTests.config(client: outsider, server: server),
                    "peer-authentication.yaml": SecurityMutualTLSTests.peerAuthentication("STRICT"),
                ])
            try await server.startEchoServer(service: "httpbin", port: SecurityMutualTLSTests.port)
            let sidecar = try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server))
            try await sidecar.waitUntilReady()

            // meshd's own CA, loaded from its state directory (the same root and key), and a stranger's.
            let meshdCA = try CertificateAuthority.load(
                stateDirectory: meshd.stateDirectory, pluginDirectory: nil, options: CAOptions())
            let otherCA = try CertificateAuthority.load(
                stateDirectory: network.scratchDirectory.appendingPathComponent("other-ca").path, pluginDirectory: nil,
                options: CAOptions())
            let valid = try meshdCA.issueWorkloadCertificate(for: Self.identity, ttl: .seconds(3600))
            let foreign = try otherCA.issueWorkloadCertificate(for: Self.identity, ttl: .seconds(3600))
            let expiring = try meshdCA.issueWorkloadCertificate(for: Self.identity, ttl: .seconds(1))
            let client = TLSProbe(
                pod: outsider, directory: network.scratchDirectory, host: server.ip, port: SecurityMutualTLSTests.port)

            // The control first: once the STRICT listener is in place, meshd's certificate gets through.
            let accepted = try await Poll.until("a meshd-issued client certificate accepted", timeout: .seconds(20)) {
                let result = try client.get(presenting: valid, as: "valid")
                return result.status == 200 ? result : nil
            }
            #expect(accepted.body.contains("URI=\(Self.identity.uri)"), "\(accepted)")

            // Each refusal is the handshake's: the client sees a TLS error (an alert, or the connection closed
            // mid-handshake, depending on timing), and the backend's Envoy counts a failed verification.
            let none = try await Self.refused(presenting: nil, as: "none", by: client, sidecar, counter: "no_cert")
            #expect(none.status == nil, "no client certificate got through: \(none)")
            let otherCAs = try await Self.refused(
                presenting: foreign, as: "foreign", by: client, sidecar, counter: "error")
            #expect(otherCAs.status == nil, "another CA's certificate got through: \(otherCAs)")
            try await Task.sleep(for: .seconds(max(0.5, expiring.notAfter.timeIntervalSinceNow + 1.5)))
            let expired = try await Self.refused(
                presenting: expiring, as: "expired", by: client, sidecar, counter: "error")
            #expect(expired.status == nil, "an expired certificate got through: \(expired)")
        }
    }

    /// Sends one request presenting `certificate` and expects a TLS error and the backend's
    /// `ssl.fail_verify_<counter>` to go up by one.
    static func refused(
        presenting certificate: IssuedCertificate?, as label: String, by client: TLSProbe, _ sidecar: Sidecar,
        counter: String
    ) async throws -> TLSProbe.Result {
        let stat = "listener.0.0.0.0_15006.ssl.fail_verify_\(counter)"
        let before = try Self.counter(stat, of: sidecar)
        let result = try client.get(presenting: certificate, as: label)
        #expect(result.error.hasPrefix("SSL"), "\(label): \(result)")
        _ = try await Poll.until("\(stat) to count the \(label) certificate", timeout: .seconds(5)) {
            try Self.counter(stat, of: sidecar) > before ? true : nil
        }
        return result
    }

    static func counter(_ name: String, of sidecar: Sidecar) throws -> Int {
        let escaped = name.replacingOccurrences(of: ".", with: "\\.")
        return try sidecar.stats(matching: "^\(escaped)$")[name].flatMap { Int($0) } ?? 0
    }
}
