import Foundation
import MeshTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12 item 4 (the server side) and issue 13 item 5: what clients of the xDS port may hold is bounded, and
/// bounded the way clients expect.
@Suite("xDS connection and stream limits", .serialized, .tags(.e2e))
struct ConnectionLimitTests {
    static func serviceEntry(_ name: String, address: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: \(name)
          namespace: default
        spec:
          hosts: [\(name).example.com]
          ports:
          - {number: 80, name: http, protocol: HTTP}
          resolution: STATIC
          location: MESH_INTERNAL
          endpoints:
          - address: \(address)
        """
    }

    /// The cluster names an Envoy holds, from its admin `/clusters`.
    static func clusters(ofEnvoyAdmin port: Int) throws -> Set<String> {
        let body = try HTTPProbe.get("http://127.0.0.1:\(port)/clusters").body
        return Set(body.split(separator: "\n").compactMap { $0.split(separator: "::").first.map(String.init) })
    }

    @Test(
        "a flood of 3,000 idle connections is bounded; two Envoys keep every resource and get an edit made during the flood"
    )
    func floodIsBounded() async throws {
        let limit = 300
        try await LoopbackMeshd.with(
            files: ["before.yaml": Self.serviceEntry("before", address: "127.0.0.2")],
            extraArguments: [
                "--xds-max-connections", "\(limit)", "--xds-max-unauthenticated-connections", "50",
                "--xds-auth-deadline", "2s",
            ],
            prefix: ["prlimit", "--nofile=1024:1024"]
        ) { meshd in
            var envoys: [(process: ManagedProcess, admin: Int)] = []
            defer { for envoy in envoys { envoy.process.stop(grace: .milliseconds(200)) } }
            for index in 0..<2 {
                let (envoy, admin) = try StreamLifecycleTests.startEnvoyWithAdmin(meshd, pod: "flood-gw-\(index)")
                envoys.append((envoy, admin))
            }
            for envoy in envoys {
                _ = try await Poll.until("Envoy to hold the cluster of `before`", timeout: .seconds(30)) {
                    () -> Bool? in
                    try envoy.process.checkRunning()
                    return try Self.clusters(ofEnvoyAdmin: envoy.admin).contains("outbound|80||before.example.com")
                        ? true : nil
                }
            }
            let held = try envoys.map { try Self.clusters(ofEnvoyAdmin: $0.admin) }

            let flood = try meshd.startPython("flood", ["flood", meshd.xdsTarget, "3000", "6"])
            defer { flood.stop(grace: .milliseconds(200)) }
            try await LoopbackMeshd.waitForOutput(flood, "flood opened", timeout: .seconds(60))
            var peakDescriptors = meshd.openDescriptors
            // The edit lands while the flood's connections are open (they are held for 6 s).
            try Self.serviceEntry("during", address: "127.0.0.3").write(
                to: meshd.directory.appendingPathComponent("config/during.yaml"), atomically: true, encoding: .utf8)
            for envoy in envoys {
                _ = try await Poll.until("Envoy to get the cluster added during the flood", timeout: .seconds(30)) {
                    () -> Bool? in
                    peakDescriptors = max(peakDescriptors, meshd.openDescriptors)
                    return try Self.clusters(ofEnvoyAdmin: envoy.admin).contains("outbound|80||during.example.com")
                        ? true : nil
                }
            }
            try await LoopbackMeshd.waitForOutput(flood, "closed-by-server", timeout: .seconds(60))
            let report = flood.logTail().split(separator: "\n").last { $0.contains("closed-by-server") } ?? ""
            for (index, envoy) in envoys.enumerated() {
                let now = try Self.clusters(ofEnvoyAdmin: envoy.admin)
                #expect(now.isSuperset(of: held[index]), "Envoy \(index) lost \(held[index].subtracting(now))")
            }
            #expect(try meshd.connections().count == 2, "both Envoys stay connected")
            let refused = try meshd.metric("meshd_xds_connections_refused")
            print(
                "connection-limits: flood \(report); meshd refused \(Int(refused)); peak open fds \(peakDescriptors) (limit \(limit) connections, open-file limit 1024)"
            )
            #expect(refused > 0)
            #expect(peakDescriptors < 1024 - 100, "meshd kept a reserve of descriptors")
            try meshd.process.checkRunning()
        }
    }

    @Test("an idle connection that never authenticates is closed at the deadline; an admitted proxy is not")
    func authenticationDeadline() async throws {
        try await LoopbackMeshd.with(extraArguments: ["--xds-auth-deadline", "1s"]) { meshd in
            let proxy = try meshd.startPython("proxy", ["vanish", meshd.xdsTarget, "sotw", "deadline"])
            defer { proxy.stop(grace: .milliseconds(100)) }
            try await LoopbackMeshd.waitForOutput(proxy, "ready")
            let output = try meshd.python(["flood", meshd.xdsTarget, "20", "3"])
            #expect(output.contains("closed-by-server 20"), "\(output)")
            #expect(try meshd.connections().count == 1, "the admitted proxy outlived the deadline")
            #expect(try meshd.metric("meshd_xds_connections_refused", labels: "authentication_deadline") == 20)
        }
    }

    @Test("300 ADS streams on one shared grpcio channel are all served (NIOHTTP2's hidden limit was 100)")
    func threeHundredStreamsOnOneConnection() async throws {
        try await LoopbackMeshd.with { meshd in
            let output = try meshd.python(["shared", meshd.xdsTarget, "300", "8"])
            #expect(output.contains("served 300 failed 0 waiting 0"), "\(output)")
        }
    }

    @Test("above the advertised stream limit, grpcio streams wait instead of failing, and start as others end")
    func streamsBeyondTheLimitWait() async throws {
        try await LoopbackMeshd.with(extraArguments: ["--xds-max-concurrent-streams", "50"]) { meshd in
            let output = try meshd.python(["shared", meshd.xdsTarget, "80", "5", "then-cancel", "30"])
            let reports = output.split(separator: "\n").filter { $0.hasPrefix("served") }
            #expect(reports.first == "served 50 failed 0 waiting 30", "\(output)")
            #expect(reports.last == "served 50 failed 0 waiting 0", "\(output)")
        }
    }
}
