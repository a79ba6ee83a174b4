import Foundation
import MeshTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12 item 5: every way an ADS stream can end releases what meshd keeps for it. Real clients only: Envoy
/// killed with SIGKILL, grpcio streams cancelled, a grpcio process killed or frozen (its connection dropped without
/// a word), and 1,000 connect-and-vanish cycles with meshd's RSS before and after.
@Suite("ADS stream lifecycle with real clients", .serialized, .tags(.e2e))
struct StreamLifecycleTests {
    @Test(
        "an Envoy killed with SIGKILL is forgotten, three times over; while connected, proxy-status shows its CLUSTER_ID"
    )
    func envoyKilledIsForgotten() async throws {
        try await LoopbackMeshd.with { meshd in
            for round in 0..<3 {
                // Round 1 speaks Delta ADS.
                let envoy = try Self.startEnvoy(
                    meshd, pod: "gw-\(round)", extraArguments: round == 1 ? ["--delta"] : [])
                defer { envoy.stop(grace: .milliseconds(100)) }
                _ = try await Poll.until("Envoy gw-\(round) to connect", timeout: .seconds(30)) { () -> Bool? in
                    try envoy.checkRunning()
                    return try meshd.connections().count == 1 && meshd.metric("pilot_xds") == 1 ? true : nil
                }
                if round < 2 {
                    // Issue 13 item 4: the `<pod>.<namespace>` name works for config_dump, and the CLUSTER column is filled.
                    #expect(try meshd.admin("/debug/config_dump?proxyID=gw-\(round).default").status == 200)
                    #expect(try meshd.admin("/debug/config_dump?proxyID=gw-9.default").status == 404)
                    let status = try Subprocess.run(
                        [
                            try MeshdProcess.executable(), "proxy-status", "--admin",
                            "http://127.0.0.1:\(meshd.adminPort)",
                        ], timeout: .seconds(30))
                    let row = status.stdout.split(separator: "\n").first { $0.hasPrefix("gw-\(round).default") } ?? ""
                    #expect(
                        row.split(separator: " ").dropFirst().first == "Kubernetes",
                        "proxy-status:\n\(status.stdout)\(status.stderr)")
                }
                kill(envoy.pid, SIGKILL)
                try await meshd.waitUntilNoProxy("after SIGKILL of Envoy gw-\(round)")
            }
        }
    }

    @Test("grpcio streams cancelled (SotW and Delta), a killed client and a frozen one are all forgotten")
    func grpcioStreamsEndingAnyWayAreForgotten() async throws {
        // Keepalive lowered so that the frozen client's silent connection is noticed within seconds.
        try await LoopbackMeshd.with(extraArguments: ["--xds-keepalive-time", "1s", "--xds-keepalive-timeout", "1s"]) {
            meshd in
            for proto in ["sotw", "delta"] {
                let output = try meshd.python(["cancel", meshd.xdsTarget, proto, "20"])
                #expect(output.contains("cancelled 20"))
                try await meshd.waitUntilNoProxy("after 20 cancelled \(proto) streams")
            }
            #expect(try meshd.metric("pilot_xds") == 0)

            let killed = try meshd.startPython("killed", ["vanish", meshd.xdsTarget, "sotw", "killed"])
            defer { killed.stop(grace: .milliseconds(100)) }
            try await LoopbackMeshd.waitForOutput(killed, "ready")
            #expect(try meshd.connections().count == 1)
            kill(killed.pid, SIGKILL)
            try await meshd.waitUntilNoProxy("after SIGKILL of a grpcio client")

            // SIGSTOP: the process holds its socket open and answers nothing, as a host that lost its network does.
            let frozen = try meshd.startPython("frozen", ["vanish", meshd.xdsTarget, "delta", "frozen"])
            defer {
                kill(frozen.pid, SIGCONT)
                frozen.stop(grace: .milliseconds(100))
            }
            try await LoopbackMeshd.waitForOutput(frozen, "ready")
            #expect(try meshd.connections().count == 1)
            kill(frozen.pid, SIGSTOP)
            try await meshd.waitUntilNoProxy("after the grpcio client froze (keepalive)", timeout: .seconds(30))
        }
    }

    @Test("1,000 connect-and-vanish cycles leave no proxy behind; RSS before and after is printed")
    func thousandCycles() async throws {
        try await LoopbackMeshd.with { meshd in
            _ = try meshd.python(["cancel", meshd.xdsTarget, "sotw", "20"])  // warm up allocator and caches
            try await meshd.waitUntilNoProxy("after warm-up")
            let before = meshd.residentKilobytes
            let started = ContinuousClock.now
            _ = try meshd.python(["cancel", meshd.xdsTarget, "sotw", "500"], timeout: .seconds(600))
            _ = try meshd.python(["cancel", meshd.xdsTarget, "delta", "500"], timeout: .seconds(600))
            try await meshd.waitUntilNoProxy("after 1,000 cycles")
            let after = meshd.residentKilobytes
            print(
                "stream-lifecycle: 1,000 cancelled streams in \(ContinuousClock.now - started): meshd RSS \(before) kB before, \(after) kB after"
            )
            #expect(try meshd.metric("pilot_xds") == 0)
        }
    }

    /// Envoy as a gateway (`router~`: no Gateway objects, so no listeners and no ports bound) pointed at meshd.
    static func startEnvoy(_ meshd: LoopbackMeshd, pod: String, extraArguments: [String] = []) throws -> ManagedProcess
    {
        try startEnvoyWithAdmin(meshd, pod: pod, extraArguments: extraArguments).process
    }

    /// `startEnvoy`, and the Envoy's admin port on 127.0.0.1.
    static func startEnvoyWithAdmin(
        _ meshd: LoopbackMeshd, pod: String, extraArguments: [String] = []
    ) throws -> (process: ManagedProcess, admin: Int) {
        let adminPort = try MeshdProcess.freeLocalPort()
        let bootstrap = try Subprocess.run(
            [
                try MeshdProcess.executable(), "bootstrap", "--type", "router", "--node-ip", "127.0.0.1", "--pod", pod,
                "--namespace", "default", "--xds-address", meshd.xdsTarget, "--admin-port", "\(adminPort)",
            ] + extraArguments, timeout: .seconds(30))
        guard bootstrap.succeeded else { throw HarnessError("meshd bootstrap: \(bootstrap.stderr)") }
        let file = meshd.directory.appendingPathComponent("\(pod).json")
        try bootstrap.stdout.write(to: file, atomically: true, encoding: .utf8)
        let process = try ManagedProcess.start(
            name: "envoy-\(pod)",
            argv: [RepositoryPaths.envoy, "-c", file.path, "--disable-hot-restart", "--log-level", "warn"],
            logFile: meshd.directory.appendingPathComponent("envoy-\(pod).log"))
        return (process, adminPort)
    }
}
