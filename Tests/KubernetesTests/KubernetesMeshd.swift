import Discovery
import Foundation
import Logging
import MeshModel
import MeshTestSupport
import MeshdApp
import Registry
import XDSServer

/// meshd assembled in-process by `buildMeshd` as `meshd serve --kubeconfig` assembles it, fed by `KubernetesSource`
/// from a `FakeKubernetes`: the ConfigStore, the snapshot push service and the ADS gRPC server on a UNIX socket. No
/// CA and no admin server.
struct KubernetesMeshd: Sendable {
    let store: ConfigStore
    let readiness: Readiness
    let xdsSocket: String

    /// Options with short waits, so that retries happen within a test's patience.
    static func fastOptions() -> KubernetesSource.Options {
        var options = KubernetesSource.Options()
        options.initialBackoff = .milliseconds(100)
        options.maximumBackoff = .milliseconds(500)
        options.missingKindRetry = .milliseconds(300)
        return options
    }

    /// Runs meshd against the API server at `127.0.0.1:apiPort` while `body` runs. The server need not be up yet.
    static func with(
        apiPort: Int, options: KubernetesSource.Options = fastOptions(), logger: Logger = quietLogger(),
        _ body: @Sendable (KubernetesMeshd) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-k8s-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("xds.sock").path
        var meshdOptions = MeshdOptions(logger: logger)
        meshdOptions.kubernetes = MeshdOptions.Kubernetes(
            connection: KubernetesConnection(server: "http://127.0.0.1:\(apiPort)"), options: options)
        meshdOptions.xdsAddress = .unix(path: socket)
        meshdOptions.admin = nil
        meshdOptions.security = nil
        meshdOptions.changeHistory = 10
        let application = try buildMeshd(meshdOptions)
        let meshd = KubernetesMeshd(store: application.store, readiness: application.readiness, xdsSocket: socket)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            defer { group.cancelAll() }
            try await body(meshd)
        }
    }

    static func quietLogger() -> Logger {
        if ProcessInfo.processInfo.environment["MESHD_TEST_LOG"] != nil {
            return Logger(label: "meshd-k8s-test", factory: { StreamLogHandler.standardError(label: $0) })
        }
        return Logger(label: "meshd-k8s-test", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// The keys of the objects in force, as `Kind/namespace/name`.
    var keys: [String] { store.objects().map(\.key.description) }

    /// Waits until meshd is ready (every kind listed, xDS listening).
    func waitUntilReady(timeout: Duration = .seconds(10)) async throws {
        do {
            _ = try await Poll.until("meshd to be ready", timeout: timeout) { readiness.isReady ? true : nil }
        } catch {
            throw HarnessError("meshd not ready after \(timeout): \(readiness.pending.joined(separator: "; "))")
        }
    }
}

/// Captures log messages, to check that something was reported (and how often).
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [(Logger.Level, String)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { captured.append((event.level, "\(event.message)")) }
    }

    /// Messages at `level` containing `text`.
    func messages(_ level: Logger.Level, containing text: String) -> [String] {
        lock.withLock { captured.filter { $0.0 == level && $0.1.contains(text) }.map(\.1) }
    }
}
