public import EtcdClient
public import Logging
import MeshModel
public import ServiceLifecycle

/// Feeds the objects stored in etcd under a prefix into a `ConfigStore`, through the same decoding and validation as
/// files: one object per key, laid out by `EtcdKeyLayout`.
///
/// - Lists the prefix (in pages, at one revision), then watches it from the listed revision + 1.
/// - A broken watch resumes from the last revision seen, without listing again, on the next endpoint.
/// - A compacted revision (etcd's compaction passed it while the watch was down) lists again and replaces the state,
///   so deletions in the gap are noticed and nothing is applied twice.
/// - Failures wait with `Backoff` (exponential, with jitter, bounded), keep the last state, and are counted in
///   `SourceMetrics`; only a listing or a DELETE event removes an object.
/// - `onSynced` is called once, after the first listing has been applied to the store.
///
/// Each key is stored under `etcd:<key>`, so an invalid value is refused with the key, the field path and the reason,
/// and the key's last good object stays in force. Files take precedence over etcd (`SourcePrecedence`).
public struct EtcdSource: Service {
    /// Tuning; the defaults suit a real cluster, tests shorten the waits.
    public struct Options: Sendable {
        /// Keys per page of the listing.
        public var pageSize = 500
        public var initialBackoff: Duration = .milliseconds(250)
        public var maximumBackoff: Duration = .seconds(30)
        /// Whether the mesh config comes from the ConfigMap `istio-system/istio` in etcd. Off when `--mesh-config`
        /// names a file: files take precedence over etcd, and the key is then reported and ignored.
        public var readsMeshConfig = true

        public init() {}
    }

    public let connection: EtcdConnection
    public let layout: EtcdKeyLayout
    public let store: ConfigStore
    public let options: Options
    let logger: Logger
    let metrics: SourceMetrics?
    let onSynced: @Sendable () -> Void
    /// Called with the revision up to which every change has been applied, after the listing and after each watch
    /// message (the replica set's watch-lag probe, `ReplicaState.watchApplied`).
    let onRevision: @Sendable (Int64) -> Void
    /// Called with true when a watch is established and false when a list or watch fails: whether etcd can be
    /// reached (meshd keeps serving the last state meanwhile).
    let onReachable: @Sendable (Bool) -> Void

    public init(
        connection: EtcdConnection, layout: EtcdKeyLayout, store: ConfigStore, options: Options = Options(),
        metrics: SourceMetrics? = nil, logger: Logger, onSynced: @escaping @Sendable () -> Void = {},
        onRevision: @escaping @Sendable (Int64) -> Void = { _ in },
        onReachable: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.onRevision = onRevision
        self.onReachable = onReachable
        self.connection = connection
        self.layout = layout
        self.store = store
        self.options = options
        self.metrics = metrics
        self.logger = logger
        self.onSynced = onSynced
    }

    /// Lists and watches until cancelled or until graceful shutdown. Never throws: an unreachable etcd is retried.
    public func run() async throws {
        logger.info("watching etcd", metadata: ["etcd": "\(connection)", "prefix": "\(layout.watchedPrefix)"])
        await cancelWhenGracefulShutdown { await watchLoop() }
    }

    func watchLoop() async {
        var state = EtcdWatchState()
        var backoff = Backoff(initial: options.initialBackoff, maximum: options.maximumBackoff)
        var needsList = true
        var hasSynced = false
        var endpoint = 0
        while !Task.isCancelled {
            var operation = needsList ? "list" : "watch"
            do {
                try await EtcdClient.withSession(connection, endpointIndex: endpoint) { session in
                    if needsList {
                        operation = "list"
                        let listing = try await session.list(prefix: layout.watchedPrefix, pageSize: options.pageSize)
                        apply(state.replace(with: listing))
                        onRevision(state.revision)
                        needsList = false
                        logger.info(
                            "listed etcd",
                            metadata: [
                                "keys": "\(listing.keyValues.count)", "revision": "\(listing.revision)",
                                "endpoint": "\(session.endpoint)",
                            ])
                        if !hasSynced {
                            hasSynced = true
                            onSynced()
                        }
                    }
                    operation = "watch"
                    try await session.watch(prefix: layout.watchedPrefix, startRevision: state.revision + 1) {
                        messages in
                        for try await message in messages {
                            if case .created = message {
                                backoff.reset()
                                onReachable(true)
                            }
                            let change = state.apply(message)
                            if !change.isEmpty { apply(change) }
                            onRevision(state.revision)
                        }
                    }
                }
            } catch EtcdError.compacted(let compactRevision) {
                metrics?.failed(source: "etcd", operation: "compacted")
                logger.warning(
                    "etcd compacted past revision \(state.revision) (compaction at \(compactRevision)); listing again")
                needsList = true
            } catch {
                if Task.isCancelled { return }
                onReachable(false)
                metrics?.failed(source: "etcd", operation: operation)
                let wait = backoff.next()
                logger.warning(
                    "etcd \(operation) failed on \(connection.endpoints[endpoint % connection.endpoints.count]): \(error); keeping the last state, retrying in \(wait)"
                )
                endpoint += 1
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Decodes written keys and removes deleted ones, in one store update. meshd's own keys (`<prefix>/_…`: the
    /// replica registry, the leader key, status) are not config: a change of only those touches nothing.
    func apply(_ change: EtcdWatchState.Change) {
        var batch: [(file: String, result: DecodeResult, keeping: Set<ResourceKey>)] = []
        let meshKey = layout.key(
            apiVersion: "v1", kind: "ConfigMap", namespace: MeshConfigDecoder.configMapNamespace,
            name: MeshConfigDecoder.configMapName)
        for keyValue in change.upserted where keyValue.key == meshKey {
            applyMeshConfig(
                MeshConfigDecoder.decode(
                    configMap: String(decoding: keyValue.value, as: UTF8.self),
                    file: EtcdObjectDecoder.fileName(forKey: meshKey) + "#data.mesh"))
        }
        if change.deleted.contains(meshKey) { applyMeshConfig(MeshConfigDecodeResult(config: .default)) }
        for keyValue in change.upserted where keyValue.key != meshKey {
            guard let result = EtcdObjectDecoder.decode(keyValue, layout: layout) else { continue }
            batch.append((EtcdObjectDecoder.fileName(forKey: keyValue.key), result, []))
        }
        let removing = change.deleted.filter { layout.entry(forKey: $0) != .reserved && $0 != meshKey }.map(
            EtcdObjectDecoder.fileName(forKey:))
        if batch.isEmpty && removing.isEmpty { return }
        store.apply(batch: batch, removing: removing, precedence: .etcd)
    }

    /// The mesh config of the ConfigMap `istio-system/istio` (a deleted key means istiod's defaults), through the
    /// last-good rule, unless a mesh config file takes precedence.
    func applyMeshConfig(_ result: MeshConfigDecodeResult) {
        guard options.readsMeshConfig else {
            logger.warning(
                "the mesh config ConfigMap in etcd is ignored: --mesh-config names a file, and files take precedence over etcd")
            return
        }
        if store.apply(meshConfig: result) {
            logger.info("mesh config from etcd applied")
        } else {
            logger.error(
                "mesh config from etcd refused; the last good mesh config stays in force",
                metadata: ["errors": "\(result.errors.map(\.description))"])
        }
    }
}
