import AdminServer
import Discovery
import EnvoyAPI
import Foundation
import Logging
import MeshModel
import MeshTestSupport
import MeshdApp
import Registry
import SwiftProtobuf
import XDSClient
import XDSServer

#if canImport(Glibc)
    import Glibc
#endif

/// meshd assembled in-process for one test by `buildMeshd`, as `meshd serve` assembles it: a `ConfigStore` fed from
/// YAML files in a temporary directory (written and applied by the test, no file watcher), the snapshot push service,
/// the ADS gRPC server on a UNIX socket, and the admin HTTP server on a free 127.0.0.1 port. No CA, so proxies get no
/// secrets (SDS stays NOT SENT).
final class InProcessMeshd: Sendable {
    let directory: URL
    let store: ConfigStore
    let provider: MeshResourceProvider
    let ads: ADSServer<MeshResourceProvider>
    let tracker: ChangeTracker
    let xdsSocket: String
    let adminPort: Int

    /// `http://127.0.0.1:<port>`, for `--admin`.
    var adminURL: String { "http://127.0.0.1:\(adminPort)" }

    private init(directory: URL, application: MeshdApplication, xdsSocket: String, adminPort: Int) {
        self.directory = directory
        self.store = application.store
        self.provider = application.provider
        self.ads = application.ads
        self.tracker = application.tracker
        self.xdsSocket = xdsSocket
        self.adminPort = adminPort
    }

    /// Runs meshd on `files` (name → YAML) for the duration of `body`, then stops every part and deletes the
    /// directory.
    static func with(files: [String: String], _ body: @Sendable (InProcessMeshd) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-ops-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let xdsSocket = directory.appendingPathComponent("xds.sock").path
        var options = MeshdOptions(logger: Logger(label: "meshd-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        options.xdsAddress = .unix(path: xdsSocket)
        options.admin = MeshdOptions.Admin(host: "127.0.0.1", port: 0)
        options.security = nil
        options.changeHistory = 50
        let application = try buildMeshd(options)
        // The files are in the store before the push service starts, so they are its first snapshot.
        for (name, yaml) in files.sorted(by: { $0.key < $1.key }) {
            try write(name, yaml, in: directory, to: application.store)
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            defer { group.cancelAll() }
            let adminPort = try await application.listening.port(of: .admin)
            let meshd = InProcessMeshd(
                directory: directory, application: application, xdsSocket: xdsSocket, adminPort: adminPort)
            _ = try await Poll.until("in-process meshd to be ready", timeout: .seconds(20)) { () -> Bool? in
                guard application.readiness.isReady, (try? await meshd.get("/healthz").status) == 200 else {
                    return nil
                }
                return true
            }
            try await body(meshd)
        }
    }

    /// Writes a config file and applies it to the store, as the file watcher would.
    func write(_ name: String, _ yaml: String) throws {
        try Self.write(name, yaml, in: directory, to: store)
    }

    private static func write(_ name: String, _ yaml: String, in directory: URL, to store: ConfigStore) throws {
        let path = directory.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        store.apply(file: path, result: ConfigDecoder.decode(yaml: yaml, file: path))
    }

    /// The absolute path of a config file in the directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// GETs an admin path with curl; the status and the body.
    func get(_ path: String) async throws -> (status: Int, body: String) {
        try await Self.curl(["--max-time", "10", adminURL + path])
    }

    /// GETs an admin path that must answer 200 with JSON.
    func json(_ path: String) async throws -> Any {
        let response = try await get(path)
        guard response.status == 200 else {
            throw HarnessError("\(path) answered \(response.status): \(response.body.prefix(300))")
        }
        return try JSONSerialization.jsonObject(with: Data(response.body.utf8))
    }

    /// POSTs a JSON body to an admin path with curl; the status and the body.
    func post(_ path: String, json body: Data) async throws -> (status: Int, body: String) {
        let file = directory.appendingPathComponent("post-\(UUID().uuidString.prefix(6)).json")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await Self.curl(
            [
                "--max-time", "30", "-X", "POST", "-H", "content-type: application/json", "--data-binary",
                "@\(file.path)", adminURL + path,
            ])
    }

    /// Runs curl off the cooperative thread pool (which has one thread per core, and which the servers under test
    /// need) and splits its answer into status and body.
    private static func curl(_ arguments: [String]) async throws -> (status: Int, body: String) {
        let marker = "\n--status:"
        let result = try await Subprocess.runInBackground(
            ["curl", "-sS", "--noproxy", "*", "-w", "\(marker)%{http_code}"] + arguments, timeout: .seconds(40))
        guard let range = result.stdout.range(of: marker, options: .backwards) else {
            throw HarnessError("curl \(arguments) printed no status: \(result.stderr)")
        }
        return (Int(result.stdout[range.upperBound...]) ?? 0, String(result.stdout[..<range.lowerBound]))
    }

    /// Runs the built `meshd` binary with `arguments` (e.g. `proxy-status --admin ...`), off the cooperative pool.
    static func cli(_ arguments: [String]) async throws -> SubprocessResult {
        try await Subprocess.runInBackground([try MeshdProcess.executable()] + arguments, timeout: .seconds(60))
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freeLocalPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot bind a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A proxy that speaks ADS as Envoy does, over `XDSClient`: CDS and LDS wildcard, EDS and RDS by name; it ACKs
/// every response, except that it NACKs every response of the types in `rejecting` after the first `acceptFirst`
/// of them, with Envoy's way of doing it (the last accepted version, the response's nonce, `error_detail`).
struct SimulatedProxy: Sendable {
    var pod: String
    var ip: String
    var namespace = "default"
    var clusterID = "Kubernetes"
    var clusters: [String]
    var routes: [String]
    var rejecting: [XDSType: String] = [:]
    var acceptFirst = 1

    var nodeID: String { "sidecar~\(ip)~\(pod).\(namespace)~\(namespace).svc.cluster.local" }
    /// How `meshd proxy-status` names it.
    var name: String { "\(pod).\(namespace)" }

    /// Serves the stream until the surrounding task is cancelled.
    func run(socket: String) async throws {
        var node = Envoy_Config_Core_V3_Node()
        node.id = nodeID
        var clusterValue = Google_Protobuf_Value()
        clusterValue.stringValue = clusterID
        node.metadata.fields["CLUSTER_ID"] = clusterValue
        let names: [XDSType: [String]] = [.endpoint: clusters, .route: routes]
        let hello = node
        try await XDSClient.withADSStream(to: .unix(path: socket)) { stream in
            for type in [XDSType.cluster, .endpoint, .listener, .route] {
                stream.send(.make(type: type.rawValue, names: names[type] ?? [], node: type == .cluster ? hello : nil))
            }
            var acked: [String: String] = [:]
            var seen: [String: Int] = [:]
            for try await response in stream.responses {
                let type = response.typeURL
                seen[type, default: 0] += 1
                let wanted = names[XDSType(rawValue: type) ?? .cluster] ?? []
                if let xdsType = XDSType(rawValue: type), let message = rejecting[xdsType],
                    (seen[type] ?? 0) > acceptFirst
                {
                    stream.send(
                        .make(
                            type: type, names: wanted, version: acked[type] ?? "", nonce: response.nonce, error: message
                        ))
                } else {
                    acked[type] = response.versionInfo
                    stream.send(.make(type: type, names: wanted, version: response.versionInfo, nonce: response.nonce))
                }
            }
        }
    }
}

/// The YAML the operability tests start from and edit: the `reviews` Service with subsets v1 and v2, one
/// WorkloadEntry per subset, and a VirtualService.
enum OpsConfig {
    static let reviewsFQDN = "reviews.default.svc.cluster.local"
    static let reviewsClusters = ["", "v1", "v2"].map { "outbound|9080|\($0)|\(reviewsFQDN)" }

    static let service = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: default
        spec:
          clusterIP: 10.96.0.20
          selector:
            app: reviews
          ports:
          - name: http
            port: 9080
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
          namespace: default
        spec:
          host: reviews
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: reviews-v1
          namespace: default
        spec:
          address: 10.44.0.11
          labels:
            app: reviews
            version: v1
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: reviews-v2
          namespace: default
        spec:
          address: 10.44.0.12
          labels:
            app: reviews
            version: v2
        """

    /// A second Service on its own port: adding it adds clusters, a listener and a route configuration.
    static let ratings = """
        apiVersion: v1
        kind: Service
        metadata:
          name: ratings
          namespace: default
        spec:
          clusterIP: 10.96.0.30
          ports:
          - name: http
            port: 9091
        """

    /// Everything to one subset.
    static func virtualService(to subset: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - reviews
          http:
          - route:
            - destination:
                host: reviews
                subset: \(subset)
        """
    }

    /// Refused: a split where no destination gets any traffic (total weight 0). The route list is on line 10.
    static let zeroWeightSplit = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - reviews
          http:
          - route:
            - destination:
                host: reviews
                subset: v1
              weight: 0
            - destination:
                host: reviews
                subset: v2
              weight: 0
        """

    static let files = ["reviews.yaml": service, "vs.yaml": virtualService(to: "v1")]

    static func proxy(_ pod: String, ip: String, rejecting: [XDSType: String] = [:]) -> SimulatedProxy {
        SimulatedProxy(pod: pod, ip: ip, clusters: reviewsClusters, routes: ["9080", "9091"], rejecting: rejecting)
    }
}

extension InProcessMeshd {
    /// `/debug/syncz` rows by node id: type → status.
    func syncStatuses() async throws -> [String: [String: String]] {
        let rows = try await json("/debug/syncz") as? [[String: Any]] ?? []
        var result: [String: [String: String]] = [:]
        for row in rows {
            guard let proxy = row["proxy"] as? String, let types = row["types"] as? [String: [String: Any]] else {
                continue
            }
            result[proxy] = types.compactMapValues { $0["status"] as? String }
        }
        return result
    }

    /// Waits until every proxy in `nodeIDs` is connected and SYNCED on CDS, EDS, LDS and RDS.
    func waitUntilSynced(_ nodeIDs: [String]) async throws {
        _ = try await Poll.until("\(nodeIDs) to be SYNCED on cds, eds, lds, rds", timeout: .seconds(20)) {
            () -> Bool? in
            let statuses = try await syncStatuses()
            return nodeIDs.allSatisfy { id in ["cds", "eds", "lds", "rds"].allSatisfy { statuses[id]?[$0] == "SYNCED" }
            } ? true : nil
        }
    }

    /// `/debug/changes`, newest first.
    func changes() async throws -> [[String: Any]] { try await json("/debug/changes") as? [[String: Any]] ?? [] }
}

/// Runs `proxies` against `meshd` for the duration of `body`, then disconnects them.
func withProxies(
    _ proxies: [SimulatedProxy], on meshd: InProcessMeshd, _ body: @Sendable () async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for proxy in proxies { group.addTask { try? await proxy.run(socket: meshd.xdsSocket) } }
        defer { group.cancelAll() }
        try await body()
    }
}
