import Foundation
import MeshTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12 item 6: SIGTERM with proxies connected ends their streams and exits within the grace period, so that a
/// replacement control plane gets every proxy.
@Suite("Graceful shutdown with proxies connected", .serialized, .tags(.e2e))
struct GracefulShutdownTests {
    @Test("SIGTERM with two Envoys connected exits within --shutdown-grace; a replacement on the same port gets both")
    func sigtermDrainsToReplacement() async throws {
        try await LoopbackMeshd.with(extraArguments: ["--shutdown-grace", "5s"]) { first in
            var envoys: [ManagedProcess] = []
            defer { for envoy in envoys { envoy.stop(grace: .milliseconds(200)) } }
            for index in 0..<2 { envoys.append(try StreamLifecycleTests.startEnvoy(first, pod: "drain-\(index)")) }
            _ = try await Poll.until("both Envoys to connect", timeout: .seconds(30)) { () -> Bool? in
                try first.connections().count == 2 ? true : nil
            }
            let signalled = ContinuousClock.now
            kill(first.process.pid, SIGTERM)
            // Bounded wait: the grace period plus the cancellation allowance, and some room for a loaded machine.
            _ = try await Poll.until("meshd to exit after SIGTERM", timeout: .seconds(20)) {
                first.process.isRunning ? nil : true
            }
            let took = ContinuousClock.now - signalled
            print("graceful-shutdown: meshd exited \(took) after SIGTERM with 2 Envoys connected")
            #expect(first.process.termination == .exited(0), "\(String(describing: first.process.termination))")
            #expect(took < .seconds(10), "exited within the 5 s grace period (plus slack), took \(took)")
            let log = first.process.logTail(maxBytes: 20_000)
            #expect(log.contains("draining"), "meshd said it drained the streams")

            try await LoopbackMeshd.with(xdsPort: first.xdsPort) { replacement in
                _ = try await Poll.until("both Envoys to reconnect to the replacement", timeout: .seconds(60)) {
                    () -> Bool? in
                    let names = Set(try replacement.connections().compactMap { $0["podName"] as? String })
                    return names == ["drain-0", "drain-1"] ? true : nil
                }
            }
        }
    }
}
