import Foundation
import MeshTestSupport
import Testing

/// Workload certificate rotation through real Envoys: with a 60 s TTL meshd re-issues every certificate at
/// half-life (~30 s) and pushes it over SDS; a client sidecar calling a STRICT backend sidecar continuously sees
/// no failure, the certificates both sides present change, and neither Envoy restarts.
@Suite("Certificate rotation end to end (60 s TTL, STRICT)", .serialized, .tags(.e2e))
struct SecurityRotationTests {
    static let client = "spiffe://cluster.local/ns/default/sa/sleep"
    static let server = "spiffe://cluster.local/ns/default/sa/httpbin"
    /// Long enough for two rotations (~30 s and ~60 s after the first certificate) and past the expiry of the
    /// first certificate (60 s).
    static let trafficSeconds = 72.0

    @Test("the serial changes at half-life and continuous requests across the rotation never fail")
    func rotationUnderContinuousTraffic() async throws {
        try await MeshNetwork.with(label: "rotation") { network in
            let client = try network.addPod(name: "sleep", labels: ["app": "sleep"], serviceAccount: "sleep")
            let server = try network.addPod(name: "httpbin", labels: ["app": "httpbin"], serviceAccount: "httpbin")
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": SecurityMutualTLSTests.config(client: client, server: server),
                    "peer-authentication.yaml": SecurityMutualTLSTests.peerAuthentication("STRICT"),
                ],
                extraArguments: ["--workload-cert-ttl", "60s"])
            try await server.startEchoServer(service: "httpbin", port: SecurityMutualTLSTests.port)
            let clientSidecar = try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client))
            let serverSidecar = try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server))
            for sidecar in [clientSidecar, serverSidecar] { try await sidecar.waitUntilReady() }
            _ = try await Poll.until("sidecar-to-sidecar mTLS request", timeout: .seconds(20)) {
                let summary = try await SecurityMutualTLSTests.send(from: client)
                return summary.ok == 5 ? summary : nil
            }
            let pids = (clientSidecar.pid, serverSidecar.pid)
            let before = try Self.serials(clientSidecar, serverSidecar)

            let traffic = try await client.sendRequests(
                to: "http://\(SecurityMutualTLSTests.clusterIP):\(SecurityMutualTLSTests.port)/rotation",
                host: SecurityMutualTLSTests.host, count: Int(Self.trafficSeconds * 10) + 10,
                maxSeconds: Self.trafficSeconds, perRequestTimeout: 3, interval: 0.1,
                trackHeader: "x-forwarded-client-cert")

            // Zero failures across the rotation, at a steady rate.
            #expect(traffic.sent >= Int(Self.trafficSeconds * 10) - 60, "\(traffic)")
            #expect(traffic.ok == traffic.sent, "\(traffic)")
            #expect(traffic.errors.isEmpty, "\(traffic)")
            // Both sides now present certificates other than the ones they started with.
            let after = try Self.serials(clientSidecar, serverSidecar)
            #expect(after.client != before.client, "client serial \(before.client) did not change")
            #expect(after.server != before.server, "server serial \(before.server) did not change")
            // The backend saw the client's identity on every request.
            let changes = traffic.headerChanges ?? []
            #expect(changes.allSatisfy { $0.value?.contains("URI=\(Self.client)") == true }, "\(changes)")
            // An established TLS connection keeps the certificates of its handshake (Envoy never re-handshakes),
            // so the pooled client-to-server connection still carries the first one. Once it ends, the next
            // connection presents the rotated certificate: the server sees a new one (XFCC `Hash=` is the
            // SHA-256 of the client certificate the server verified).
            let first = try #require(changes.first?.value.flatMap(Self.hash), "\(traffic)")
            try Self.closeConnections(from: client, to: server)
            let renewed = try await Poll.until("a new client certificate seen by the server", timeout: .seconds(15)) {
                let summary = try await client.sendRequests(
                    to: "http://\(SecurityMutualTLSTests.clusterIP):\(SecurityMutualTLSTests.port)/renewed",
                    host: SecurityMutualTLSTests.host, count: 3, maxSeconds: 5, trackHeader: "x-forwarded-client-cert")
                let hashes = (summary.headerChanges ?? []).compactMap { $0.value.flatMap(Self.hash) }
                return hashes.last.flatMap { $0 == first ? nil : $0 }
            }
            #expect(renewed != first)
            // Secrets were swapped in place: the same Envoys, never restarted.
            #expect(clientSidecar.pid == pids.0 && serverSidecar.pid == pids.1)
            try clientSidecar.process.checkRunning()
            try serverSidecar.process.checkRunning()
        }
    }

    static func serials(_ client: Sidecar, _ server: Sidecar) throws -> (client: String, server: String) {
        let clientCertificates = try client.presentedCertificates()
        let serverCertificates = try server.presentedCertificates()
        let clientSerial = try #require(
            clientCertificates.first { $0.uris.contains(Self.client) }?.serialNumber, "\(clientCertificates)")
        let serverSerial = try #require(
            serverCertificates.first { $0.uris.contains(Self.server) }?.serialNumber, "\(serverCertificates)")
        return (clientSerial, serverSerial)
    }

    /// Ends the client sidecar's connections to the server's port (`ss -K`), as an idle timeout or a peer restart
    /// would, while no request is in flight.
    static func closeConnections(from client: Pod, to server: Pod) throws {
        let result = try client.exec(
            ["ss", "-K", "-t", "dst", server.ip, "dport", "=", ":\(SecurityMutualTLSTests.port)"])
        guard result.succeeded else { throw HarnessError("ss -K in \(client.name): \(result.stderr)") }
    }

    /// The `Hash=` element of an XFCC value.
    static func hash(_ xfcc: String) -> String? {
        xfcc.split(separator: ";").first { $0.hasPrefix("Hash=") }.map(String.init)
    }
}
