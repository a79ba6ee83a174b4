import Logging
import Synchronization

/// What a leader duty watches: the objects of a few kinds, kept by one informer per kind (LIST, then WATCH) while
/// the duty runs, so that a duty compares what it wants with the API server's objects without reading each one.
///
/// The cache only tells a duty where to look: before writing, a duty reads the object itself (a cached copy lacks
/// the server's bookkeeping fields, and may be a moment old). After its own write a duty `remember`s the answer, so
/// that it does not look again before the watch brings the same version. Thread-safe: the informers write from their
/// tasks, the duty reads from its own.
final class KubernetesWatchCache: Sendable {
    struct Inner {
        var objects: [KubernetesKind: [String: KubernetesObject]] = [:]
        var synced: Set<KubernetesKind> = []
        var changes = 0
    }

    let kinds: [KubernetesKind]
    private let inner = Mutex(Inner())

    init(kinds: [KubernetesKind]) {
        self.kinds = kinds
    }

    /// Runs one informer per kind while `body` runs, and stops them when it returns or throws.
    func whileWatching<T: Sendable>(
        _ client: KubernetesClient, options: KubernetesSource.Options, logger: Logger,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            for kind in kinds {
                let informer = Informer(
                    kind: kind, client: client, options: options, logger: logger,
                    apply: { kind, change in self.apply(kind, change) },
                    synced: { kind in self.inner.withLock { _ = $0.synced.insert(kind) } })
                group.addTask {
                    await informer.run()
                    return nil
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// True once every kind has been listed completely.
    var isSynced: Bool { inner.withLock { $0.synced.count == Set(kinds).count } }

    /// A counter that moves on every change the informers applied (and every `remember`): a duty whose inputs are
    /// otherwise unchanged has nothing new to look at while it stays the same.
    var changes: Int { inner.withLock { $0.changes } }

    /// The objects of `kind` by `namespace/name` (`name` for cluster-scoped kinds).
    func objects(_ kind: KubernetesKind) -> [String: KubernetesObject] {
        inner.withLock { $0.objects[kind] ?? [:] }
    }

    /// Records an object as a duty's own write returned it, until the watch brings it (or a newer version).
    func remember(_ object: KubernetesObject, kind: KubernetesKind) {
        inner.withLock { inner in
            inner.objects[kind, default: [:]][object.key] = object
            inner.changes += 1
        }
    }

    func apply(_ kind: KubernetesKind, _ change: InformerState.Change) {
        inner.withLock { inner in
            for object in change.upserted { inner.objects[kind, default: [:]][object.key] = object }
            for object in change.deleted { inner.objects[kind]?[object.key] = nil }
            inner.changes += 1
        }
    }
}
