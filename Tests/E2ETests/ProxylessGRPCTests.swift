import Foundation
import MeshTestSupport
import Testing

/// Issue 20 items 1-4: a real grpcio 1.85.1 client, bootstrapped by `meshd bootstrap --grpc`, calls grpcio servers
/// registered as a service's endpoints through `xds:///echo.mesh.test:26051`, with no Envoy anywhere: meshd answers its
/// LDS, RDS, CDS and EDS as gRPC's xDS client expects them.
@Suite("Proxyless gRPC clients through xds:///", .serialized, .tags(.e2e, .python))
struct ProxylessGRPCTests {
    @Test(
        "weighted routing over two backends stays within tolerance, and a VirtualService edit re-routes a live client")
    func weightedAndLiveEdit() async throws {
        try await ProxylessGRPCMesh.with(virtualService: ProxylessGRPCMesh.split(v1: 75, v2: 25)) { mesh in
            let calls = 400
            let result = try await mesh.client(["count", "\(calls)"])
            let counts = result["counts"] as? [String: Int] ?? [:]
            #expect((result["errors"] as? [String])?.isEmpty == true, "errors: \(result)")
            #expect(counts.values.reduce(0, +) == calls, "\(result)")
            // 75/25 over 400 calls: 300 and 100 expected; the binomial standard deviation is about 8.7, and the
            // tolerance is 5 of them.
            let v1 = counts["v1"] ?? 0
            #expect(abs(v1 - 300) <= 45, "v1 answered \(v1) of \(calls): \(counts)")

            // One long-lived client: all of v1, then (after the edit) all of v2, without reconnecting.
            try mesh.writeVirtualService(ProxylessGRPCMesh.split(v1: 100, v2: 0))
            let ready = mesh.meshd.directory.appendingPathComponent("reroute-ready")
            let client = try ManagedProcess.start(
                name: "grpc-reroute", argv: mesh.clientArgv(["reroute", "v1", "v2", ready.path, "20"]),
                logFile: mesh.meshd.directory.appendingPathComponent("grpc-reroute.log"))
            defer { client.stop(grace: .milliseconds(200)) }
            _ = try await Poll.until("the client to see only v1", timeout: .seconds(40)) { () -> Bool? in
                if FileManager.default.fileExists(atPath: ready.path) { return true }
                try client.checkRunning()
                return nil
            }
            try mesh.writeVirtualService(ProxylessGRPCMesh.split(v1: 0, v2: 100))
            let line = try await Poll.until("the client to report", timeout: .seconds(45)) { () -> String? in
                client.logTail(maxBytes: 10_000).split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init)
            }
            let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            #expect(report["switched"] as? Bool == true, "reroute: \(report)")
        }
    }

    @Test("a target meshd does not know fails at once with meshd's reason, is logged, and shows as NOT_FOUND in syncz")
    func unknownTargetFailsFast() async throws {
        try await ProxylessGRPCMesh.with { mesh in
            let target = "xds:///nosuch.mesh.test:26051"
            let client = try ManagedProcess.start(
                name: "grpc-unknown", argv: mesh.clientArgv(["fail", "60"], target: target),
                logFile: mesh.meshd.directory.appendingPathComponent("grpc-unknown.log"))
            defer { client.stop(grace: .milliseconds(200)) }
            let line = try await Poll.until("the client's failed call", timeout: .seconds(30)) { () -> String? in
                try client.checkRunning()
                return client.logTail(maxBytes: 10_000).split(separator: "\n").last { $0.hasPrefix("{") }
                    .map(String.init)
            }
            let result = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let details = result["details"] as? String ?? ""
            #expect(result["code"] as? String == "UNAVAILABLE", "\(result)")
            // meshd's own words, from the NOT_FOUND resource error, not gRPC's "does not exist" after its 15 s timer.
            #expect(details.contains("no service nosuch.mesh.test is visible to namespace default"), "\(details)")
            #expect((result["seconds"] as? Double ?? 99) < 15, "the call ended by the resource timer: \(result)")

            let syncz = try mesh.meshd.admin("/debug/syncz").json() as? [[String: Any]] ?? []
            let row = syncz.first { ($0["proxy"] as? String)?.contains("client.default") == true }
            let lds = (row?["types"] as? [String: Any])?["lds"] as? [String: Any]
            #expect(lds?["status"] as? String == "NOT_FOUND", "syncz: \(syncz)")
            let notFound = lds?["notFound"] as? [String: String] ?? [:]
            #expect(notFound["nosuch.mesh.test:26051"]?.contains("no service nosuch.mesh.test") == true, "\(notFound)")
            let status = try Subprocess.run(
                [try MeshdProcess.executable(), "proxy-status", "--admin", "http://127.0.0.1:\(mesh.meshd.adminPort)"],
                timeout: .seconds(30))
            #expect(status.stdout.contains("NOT FOUND: nosuch.mesh.test:26051"), "proxy-status:\n\(status.stdout)")
            let log = try String(
                contentsOf: mesh.meshd.directory.appendingPathComponent("meshd.log"), encoding: .utf8)
            #expect(log.contains("told it NOT_FOUND") && log.contains("nosuch.mesh.test:26051"), "meshd log")
        }
    }

    @Test("mutual TLS: the client verifies the server's workload certificate, the server sees the client's SPIFFE id")
    func mutualTLS() async throws {
        try await ProxylessGRPCMesh.with(mtls: true) { mesh in
            let secure = try await mesh.client(["count", "20", "--mtls"])
            #expect((secure["errors"] as? [String])?.isEmpty == true, "\(secure)")
            #expect((secure["counts"] as? [String: Int])?["v1"] == 20, "\(secure)")
            #expect(secure["peers"] as? [String] == ["spiffe://cluster.local/ns/default/sa/client"], "\(secure)")
            // The servers require TLS: a client that ignores the cluster's TLS (plaintext credentials) is refused.
            let plaintext = try await mesh.client(["count", "3"])
            #expect((plaintext["counts"] as? [String: Int] ?? [:]).isEmpty, "\(plaintext)")
            #expect((plaintext["errors"] as? [String])?.isEmpty == false, "\(plaintext)")
        }
    }
}
