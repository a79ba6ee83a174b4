import AsyncHTTPClient
import Foundation
public import Logging
import MeshModel
public import ServiceLifecycle
import Synchronization

/// Feeds the objects of a Kubernetes API server into a `ConfigStore`, through the same decoding and validation as
/// files: one informer (LIST then WATCH) per watched kind.
///
/// Each object is stored under a synthetic file name, `k8s://<Kind>/<namespace>/<name>`, so ConfigStore's rules
/// apply unchanged: an invalid update keeps the last good version, and the error names `Kind/namespace/name`.
/// Kinds meshd does not model yet are watched (they count towards readiness) and reported once each.
public struct KubernetesSource: Service {
    /// Tuning; the defaults suit a real cluster, tests shorten the waits.
    public struct Options: Sendable {
        /// `limit` of each LIST page.
        public var pageSize = 500
        public var initialBackoff: Duration = .milliseconds(250)
        public var maximumBackoff: Duration = .seconds(30)
        /// How often the LIST of a kind whose CRD is missing is retried.
        public var missingKindRetry: Duration = .seconds(30)
        /// How long one watch request lasts before it is re-opened (`timeoutSeconds`).
        public var watchTimeout: Duration = .seconds(300)
        public var kinds: [KubernetesKind] = KubernetesKind.watched

        public init() {}
    }

    public let connection: KubernetesConnection
    public let store: ConfigStore
    public let options: Options
    let logger: Logger
    let onSynced: @Sendable (KubernetesKind) -> Void
    let reported = ReportedKinds()
    /// Every namespace's labels, for the mesh config's `discoverySelectors`.
    let namespaceLabels = NamespaceLabels()
    let metrics: SourceMetrics?

    /// - Parameter onSynced: called once per kind after its first complete LIST; readiness waits for all of them.
    public init(
        connection: KubernetesConnection, store: ConfigStore, options: Options = Options(),
        metrics: SourceMetrics? = nil,
        logger: Logger, onSynced: @escaping @Sendable (KubernetesKind) -> Void = { _ in }
    ) {
        self.metrics = metrics
        self.connection = connection
        self.store = store
        self.options = options
        self.logger = logger
        self.onSynced = onSynced
    }

    /// The synthetic file name an object is stored under.
    /// What every object read from Kubernetes has its synthetic file name start with.
    public static let filePrefix = "k8s://"

    public static func fileName(kind: String, namespace: String, name: String) -> String {
        "\(filePrefix)\(kind)/\(namespace)/\(name)"
    }

    /// Runs every informer until cancelled or until graceful shutdown. Throws only when the connection's TLS
    /// material cannot be loaded; an unreachable API server is retried, never fatal.
    public func run() async throws {
        let configuration = try KubernetesClient.configuration(for: connection)
        try await HTTPClient.withHTTPClient(configuration: configuration) { http in
            let client = KubernetesClient(http: http, connection: connection, watchTimeout: options.watchTimeout)
            logger.info("watching the Kubernetes API server", metadata: ["server": "\(connection.server)"])
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { group in
                    for kind in options.kinds {
                        let informer = Informer(
                            kind: kind, client: client, options: options, logger: logger,
                            apply: { kind, change in self.apply(kind, change) }, synced: onSynced, metrics: metrics)
                        group.addTask { await informer.run() }
                    }
                }
            }
        }
    }

    /// Decodes upserted objects and removes deleted ones, in one store update.
    func apply(_ kind: KubernetesKind, _ change: InformerState.Change) {
        if kind.kind == "Namespace", kind.group.isEmpty {
            store.setNamespaceLabels(namespaceLabels.apply(change))
            return
        }
        guard kind.isModelled else {
            if !change.upserted.isEmpty, reported.insert(kind.kind) {
                logger.warning("\(kind.kind) objects are watched but not used by meshd yet; they are skipped")
            }
            return
        }
        if kind.isMeshConfig {
            applyMeshConfig(change)
            return
        }
        let batch = change.upserted.map { object in
            let file = Self.fileName(kind: kind.kind, namespace: object.namespace, name: object.name)
            return (file: file, result: ConfigDecoder.decode(yaml: object.json, file: file))
        }
        let removing = change.deleted.map { Self.fileName(kind: kind.kind, namespace: $0.namespace, name: $0.name) }
        store.apply(batch: batch, removing: removing)
    }
}

extension KubernetesSource {
    /// The `mesh` key of the `istio` ConfigMap, through `MeshConfigDecoder` and the last-good rule. A deleted
    /// ConfigMap, or one without a `mesh` key, means istiod's defaults (as istiod reads it).
    func applyMeshConfig(_ change: InformerState.Change) {
        let file = Self.fileName(kind: "ConfigMap", namespace: "istio-system", name: "istio") + "#mesh"
        let result: MeshConfigDecodeResult
        if let object = change.upserted.last(where: { $0.name == "istio" }) {
            result = MeshConfigDecoder.decode(yaml: Self.meshKey(of: object.json) ?? "", file: file)
        } else if change.deleted.contains(where: { $0.name == "istio" }) {
            result = MeshConfigDecodeResult(config: .default)
        } else {
            return
        }
        if store.apply(meshConfig: result) {
            logger.info("mesh config from ConfigMap istio-system/istio applied")
        } else {
            logger.error(
                "mesh config from ConfigMap istio-system/istio refused; the last good mesh config stays in force")
        }
    }

    /// `data.mesh` of a ConfigMap's JSON; nil when absent or not a string.
    static func meshKey(of json: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return nil
        }
        return (object["data"] as? [String: Any])?["mesh"] as? String
    }
}

/// The kinds already reported as unmodelled, so each is reported once, not per event. Thread-safe.
/// The labels of every namespace seen, kept across the Namespace informer's changes.
final class NamespaceLabels: Sendable {
    private let labels = Mutex<[String: [String: String]]>([:])

    /// Applies a change of the Namespace kind and returns every namespace's labels.
    func apply(_ change: InformerState.Change) -> [String: [String: String]] {
        labels.withLock { labels in
            for object in change.deleted { labels[object.name] = nil }
            for object in change.upserted { labels[object.name] = Self.labels(of: object.json) }
            return labels
        }
    }

    /// `metadata.labels` of an object's JSON; empty when absent.
    static func labels(of json: String) -> [String: String] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let metadata = object["metadata"] as? [String: Any]
        else { return [:] }
        return metadata["labels"] as? [String: String] ?? [:]
    }
}

final class ReportedKinds: Sendable {
    private let kinds = Mutex<Set<String>>([])

    /// True the first time a kind is inserted.
    func insert(_ kind: String) -> Bool {
        kinds.withLock { $0.insert(kind).inserted }
    }
}
