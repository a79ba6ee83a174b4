import Logging

/// Keeps one kind in sync: LIST (in pages), then WATCH from the list's resourceVersion, forever.
///
/// - A watch that ends or drops resumes from the last resourceVersion seen (an event or a BOOKMARK), without
///   listing again.
/// - `410 Gone` (an HTTP status or an `ERROR` event) means the resourceVersion expired: the informer lists again and
///   replaces its state, so deletions in the gap are noticed and nothing is applied twice.
/// - Connection errors retry with `Backoff`.
/// - A 403 on an optional kind (a custom resource, or Secrets) means RBAC does not grant it: handled like a missing
///   CRD, with the warning naming the ClusterRole rule to add.
/// - A 404 on the LIST of a custom resource means its CRD is not installed: one warning, the kind counts as synced
///   (empty), and the LIST is retried every `missingKindRetry`. A kind that was served and then answers 404 keeps
///   the objects it had: an error is never a deletion. (Deleting a CRD deletes its objects first, and those
///   deletions arrive as watch events; a relist once it is served again removes whatever is gone.)
/// - Any failed LIST or WATCH keeps the last state and is counted in `SourceMetrics`; only a complete LIST or a
///   `DELETED` event removes an object.
///
/// Runs in the task that calls `run()`; its state is local to that task.
struct Informer: Sendable {
    let kind: KubernetesKind
    let client: KubernetesClient
    let options: KubernetesSource.Options
    let logger: Logger
    /// Receives every change, in order, from this informer's task.
    let apply: @Sendable (KubernetesKind, InformerState.Change) -> Void
    /// Called once, after the first complete LIST (or the first 404 of a missing CRD).
    let synced: @Sendable (KubernetesKind) -> Void
    var metrics: SourceMetrics?

    /// Lists and watches until the task is cancelled.
    func run() async {
        var state = InformerState()
        var backoff = Backoff(initial: options.initialBackoff, maximum: options.maximumBackoff)
        var needsList = true
        var hasSynced = false
        var reportedMissing = false
        while !Task.isCancelled {
            var operation = "list"
            do {
                if needsList {
                    let (items, version) = try await listAll()
                    apply(kind, state.replace(with: items, resourceVersion: version))
                    needsList = false
                    reportedMissing = false
                    logger.debug(
                        "listed \(kind)", metadata: ["objects": "\(items.count)", "resourceVersion": "\(version)"])
                    if !hasSynced {
                        hasSynced = true
                        synced(kind)
                    }
                }
                operation = "watch"
                var events = 0
                try await client.watch(kind, from: state.resourceVersion) { event in
                    events += 1
                    let change = try state.apply(event)
                    if !change.isEmpty { apply(kind, change) }
                }
                // The server ended the watch (its timeout, or a dropped connection): resume where we were.
                if events > 0 { backoff.reset() } else { try await Task.sleep(for: backoff.next()) }
            } catch KubernetesError.gone(let message) {
                logger.info("\(kind): \(message); listing again")
                needsList = true
            } catch let error as KubernetesError {
                // A missing CRD (404) or an optional kind RBAC does not grant (403): one warning, readiness not held
                // back, listed again every missingKindRetry, so installing the CRD or granting the rule just works.
                let reason: String
                switch error {
                case .notFound(let message) where kind.isCustomResource:
                    reason = "is not served (\(message)); is its CRD installed?"
                case .status(code: 403, let message) where kind.isOptional:
                    reason = "is forbidden (\(message)); grant meshd's ClusterRole the rule {\(kind.rbacRule)}. Serving without it."
                default:
                    if Task.isCancelled { return }
                    metrics?.failed(source: "kubernetes", operation: operation)
                    let wait = backoff.next()
                    logger.warning("\(kind): \(operation) failed: \(error); keeping the last state, retrying in \(wait)")
                    try? await Task.sleep(for: wait)
                    continue
                }
                metrics?.failed(source: "kubernetes", operation: operation)
                if !reportedMissing {
                    let kept = state.objects.isEmpty ? "" : "; keeping its \(state.objects.count) object(s)"
                    logger.warning("\(kind) \(reason) Retrying every \(options.missingKindRetry)\(kept)")
                    reportedMissing = true
                }
                needsList = true
                if !hasSynced {
                    hasSynced = true
                    synced(kind)
                }
                try? await Task.sleep(for: options.missingKindRetry)
            } catch {
                if Task.isCancelled { return }
                metrics?.failed(source: "kubernetes", operation: operation)
                let wait = backoff.next()
                logger.warning("\(kind): \(operation) failed: \(error); keeping the last state, retrying in \(wait)")
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// LIST in pages of `options.pageSize`, following `continue` tokens. An expired token (410) restarts the list.
    func listAll() async throws -> ([KubernetesObject], String) {
        var items: [KubernetesObject] = []
        var token: String?
        var attempts = 0
        while true {
            let page: ListPage
            do {
                page = try await client.list(kind, limit: options.pageSize, continueToken: token)
            } catch KubernetesError.gone where token != nil && attempts < 3 {
                attempts += 1
                items = []
                token = nil
                continue
            }
            items += page.items
            guard let next = page.continueToken else { return (items, page.resourceVersion) }
            token = next
        }
    }
}
