import Foundation
public import Logging

/// The leader's duty of publishing the mesh's root certificates in every namespace, as istiod does: the ConfigMap
/// `istio-ca-root-cert`, key `root-cert.pem`, labelled `istio.io/config: "true"`, which proxies mount to verify
/// meshd's serving certificate and their peers'.
///
/// It watches Namespaces and the ConfigMaps of that name (one informer each, field selector `metadata.name`) while
/// it leads, and every `interval` compares them with the CA's trust bundle (which changes when the root rotates, and
/// again when the previous root's overlap ends). A namespace whose ConfigMap is missing, or whose `root-cert.pem` or
/// label differs, gets it written: a create, or, when it exists, an update conditional on the resourceVersion just
/// read (other keys and labels are kept). A 409 reads again; a namespace that vanished is skipped. Every write goes
/// through the fence. Namespaces being deleted (`status.phase: Terminating`) and Kubernetes' own (`ignored`) are
/// skipped. A new leader lists first and writes only what differs, so a failover rewrites nothing that is right.
///
/// meshd has no discovery selectors yet: every namespace gets the ConfigMap, as istiod does without them.
public struct KubernetesRootCertDuty: KubernetesLeaderDuty {
    public static let dutyName = "root-cert-configmaps"
    public static let configMapName = "istio-ca-root-cert"
    public static let dataKey = "root-cert.pem"
    /// The label istiod puts on the config it writes.
    public static let configLabel = "istio.io/config"
    /// Namespaces istiod leaves alone.
    public static let defaultIgnored: Set<String> = [
        "kube-system", "kube-public", "kube-node-lease", "local-path-storage",
    ]

    public var name: String { Self.dutyName }

    let rootBundle: @Sendable () -> String
    let interval: Duration
    let ignored: Set<String>
    let informers: KubernetesSource.Options
    let logger: Logger

    static let namespaces = KubernetesKind.core("Namespace", "namespaces", modelled: false)
    static let configMaps = KubernetesKind.core(
        "ConfigMap", "configmaps", modelled: false, fieldSelector: "metadata.name=\(configMapName)")

    /// - Parameters:
    ///   - rootBundle: the PEM to publish (`CertificateAuthority.trustBundlePEM`), read every `interval`; empty
    ///     publishes nothing.
    ///   - informers: list and watch tuning (page size, backoff) of the duty's two informers.
    public init(
        rootBundle: @escaping @Sendable () -> String, interval: Duration = .seconds(1),
        ignored: Set<String> = defaultIgnored, informers: KubernetesSource.Options = KubernetesSource.Options(),
        logger: Logger
    ) {
        self.rootBundle = rootBundle
        self.interval = interval
        self.ignored = ignored
        self.informers = informers
        self.logger = logger
    }

    public func run(_ fence: KubernetesLeaderFence) async throws {
        let cache = KubernetesWatchCache(kinds: [Self.namespaces, Self.configMaps])
        try await cache.whileWatching(fence.client, options: informers, logger: logger) {
            var settled: (changes: Int, bundle: String)?
            var backoff = Backoff(initial: interval, maximum: .seconds(30))
            while !Task.isCancelled {
                let bundle = rootBundle()
                let changes = cache.changes
                let unchanged = settled.map { $0.changes == changes && $0.bundle == bundle } ?? false
                if cache.isSynced, !bundle.isEmpty, !unchanged {
                    let round = try await reconcile(cache, bundle: bundle, fence: fence)
                    if round.written > 0 {
                        logger.info(
                            "wrote \(Self.configMapName)", metadata: ["namespaces": "\(round.written)"])
                    }
                    if let failure = round.failure {
                        logger.warning(
                            "could not write \(Self.configMapName) into \(round.failed) namespace(s): \(failure); retrying"
                        )
                        settled = nil
                        try await Task.sleep(for: backoff.next())
                        continue
                    }
                    backoff.reset()
                    settled = round.retry ? nil : (changes, bundle)
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    struct Round {
        var written = 0
        var failed = 0
        var failure: String?
        /// A conflict left something to look at again next round.
        var retry = false
    }

    /// Writes the ConfigMap into every namespace whose cached one is not right.
    func reconcile(_ cache: KubernetesWatchCache, bundle: String, fence: KubernetesLeaderFence) async throws -> Round {
        let maps = cache.objects(Self.configMaps)
        var round = Round()
        for namespace in cache.objects(Self.namespaces).values.sorted(by: { $0.name < $1.name }) {
            guard !ignored.contains(namespace.name), !Self.isTerminating(namespace) else { continue }
            if let map = maps["\(namespace.name)/\(Self.configMapName)"], Self.isCurrent(map.json, bundle: bundle) {
                continue
            }
            do {
                switch try await write(bundle, namespace: namespace.name, fence: fence) {
                case .written(let object):
                    round.written += 1
                    cache.remember(object, kind: Self.configMaps)
                case .unchanged(let object):
                    cache.remember(object, kind: Self.configMaps)
                case .skipped:
                    break
                case .conflict:
                    round.retry = true
                }
            } catch let error as KubernetesLeaderFence.Deposed {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                round.failed += 1
                if round.failure == nil { round.failure = "\(namespace.name): \(error)" }
            }
        }
        return round
    }

    enum Outcome {
        case written(KubernetesObject)
        case unchanged(KubernetesObject)
        /// The namespace is gone or being deleted.
        case skipped
        /// Changed by someone else three times in a row.
        case conflict
    }

    /// Makes the ConfigMap of `namespace` hold `bundle`: reads it, creates it when absent, updates it when it differs.
    func write(_ bundle: String, namespace: String, fence: KubernetesLeaderFence) async throws -> Outcome {
        let collection = "/api/v1/namespaces/\(namespace)/configmaps"
        let path = "\(collection)/\(Self.configMapName)"
        for _ in 0..<3 {
            let read = try await fence.read(path)
            if read.status == 404 {
                let created = try await fence.write(.post, collection, json: Self.newConfigMap(namespace, bundle))
                switch created.status {
                case 409: continue  // created meanwhile: read it
                case 404: return .skipped  // the namespace is gone
                case 403 where Self.isNamespaceTerminating(created.body): return .skipped
                default:
                    try KubernetesClient.check(status: created.status, body: created.body, path: collection)
                    return .written(try Self.object(created.body, path: collection))
                }
            }
            try KubernetesClient.check(status: read.status, body: read.body, path: path)
            guard var object = (try? JSONSerialization.jsonObject(with: read.body)) as? [String: Any],
                var metadata = object["metadata"] as? [String: Any]
            else { throw KubernetesError.malformed("\(path): not an object with metadata") }
            let current = try Self.object(read.body, path: path)
            if Self.isCurrent(current.json, bundle: bundle) { return .unchanged(current) }
            var labels = metadata["labels"] as? [String: Any] ?? [:]
            labels[Self.configLabel] = "true"
            metadata["labels"] = labels
            object["metadata"] = metadata
            var data = object["data"] as? [String: Any] ?? [:]
            data[Self.dataKey] = bundle
            object["data"] = data
            let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            let replaced = try await fence.write(.put, path, json: body)
            switch replaced.status {
            case 409, 404: continue  // changed or deleted meanwhile: read again
            default:
                try KubernetesClient.check(status: replaced.status, body: replaced.body, path: path)
                return .written(try Self.object(replaced.body, path: path))
            }
        }
        return .conflict
    }

    /// Whether a ConfigMap's JSON holds `bundle` under `root-cert.pem` and istiod's label.
    static func isCurrent(_ json: String, bundle: String) -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            return false
        }
        let labels = (object["metadata"] as? [String: Any])?["labels"] as? [String: Any]
        let data = object["data"] as? [String: Any]
        return data?[dataKey] as? String == bundle && labels?[configLabel] as? String == "true"
    }

    /// Whether a Namespace's JSON says it is being deleted.
    static func isTerminating(_ namespace: KubernetesObject) -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(namespace.json.utf8))) as? [String: Any]
        else { return false }
        return (object["status"] as? [String: Any])?["phase"] as? String == "Terminating"
    }

    /// Whether a refusal is the API server's "namespace is being terminated" (a `Status` with the cause
    /// `NamespaceTerminating`): the namespace turned Terminating after the cache last saw it.
    static func isNamespaceTerminating(_ body: Data) -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let causes = (object["details"] as? [String: Any])?["causes"] as? [[String: Any]]
        else { return false }
        return causes.contains { $0["reason"] as? String == "NamespaceTerminating" }
    }

    static func newConfigMap(_ namespace: String, _ bundle: String) throws -> Data {
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": configMapName, "namespace": namespace, "labels": [configLabel: "true"]],
            "data": [dataKey: bundle],
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func object(_ body: Data, path: String) throws -> KubernetesObject {
        guard let value = try? JSONSerialization.jsonObject(with: body) else {
            throw KubernetesError.malformed("\(path): the answer is not JSON")
        }
        return try KubernetesObject(json: value, kind: configMaps)
    }
}
