public import Foundation
public import Logging
public import MeshModel
public import Registry
public import ServiceLifecycle
import Synchronization

/// Fetches the `jwksUri` of every RequestAuthentication JWT rule, as istiod does by default, and hands on the
/// store's snapshots with the key sets in force (`MeshSnapshot.fetchedJWKS`), so that the translator inlines them.
///
/// - A URI that appears in a snapshot is fetched before that snapshot is handed on (bounded by the rule's
///   `timeout`, default 5 s), so the first push already carries its keys when the issuer answers.
/// - Each URI is fetched again every `refreshInterval` (20 min), or `retryInterval` (1 min) after a failure.
/// - A failed or refused fetch (HTTP error, timeout, too large, not a JWKS) keeps the last good key set. A URI with
///   no key set at all is left out of `fetchedJWKS`: the translator gives its provider keys that verify nothing
///   (fail closed), and this service warns naming each policy rule and the URI.
/// - A key change yields a snapshot with a new version (`MeshSnapshot.withFetchedJWKS`), which makes a push.
///
/// Thread-safe: state sits behind one `Mutex`; fetches run outside it.
public final class JWKSService: Service, Sendable {
    let source: @Sendable () -> AsyncStream<MeshSnapshot>
    /// Where a snapshot whose key sets changed is recorded, under a generation of its own; nil keeps the store's.
    let changeLog: ChangeLog?
    let fetcher: any JWKSFetcher
    let settings: JWKSSettings
    let logger: Logger

    struct State {
        var cache = JWKSCacheState()
        /// The newest store snapshot, as published by the store.
        var latest: MeshSnapshot?
        /// The snapshot last handed on (with its keys), so that an unchanged result is not repeated and a new
        /// subscriber starts from it, never from a store snapshot whose new URIs are still being fetched.
        var published: MeshSnapshot?
        var subscribers: [Int: AsyncStream<MeshSnapshot>.Continuation] = [:]
        var nextSubscriber = 0
    }
    let state = Mutex(State())

    /// Follows `store`'s snapshots.
    public convenience init(
        store: ConfigStore, fetcher: any JWKSFetcher, settings: JWKSSettings = JWKSSettings(), logger: Logger
    ) {
        self.init(
            snapshots: { store.snapshots() }, fetcher: fetcher, settings: settings, changeLog: store.changeLog,
            logger: logger)
    }

    /// Follows the snapshots of `source`, called once when the service runs (a store's `snapshots()`).
    public init(
        snapshots source: @escaping @Sendable () -> AsyncStream<MeshSnapshot>, fetcher: any JWKSFetcher,
        settings: JWKSSettings = JWKSSettings(), changeLog: ChangeLog? = nil, logger: Logger
    ) {
        self.source = source
        self.changeLog = changeLog
        self.fetcher = fetcher
        self.settings = settings
        self.logger = logger
    }

    /// The store's snapshots with the key sets in force: the last one handed on at once (when there is one), then each
    /// with a different version. A slow reader sees only the newest. Each call gets its own stream.
    public func snapshots() -> AsyncStream<MeshSnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: MeshSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            if let published = state.published { continuation.yield(published) }
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in _ = state.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// What is known about each tracked URI, by URI, with the rules that name it.
    public func status() -> [(uri: String, entry: JWKSEntry, references: [JWKSReference])] {
        state.withLock { state in
            state.cache.entries.keys.sorted().compactMap { uri in
                state.cache.entries[uri].map { (uri, $0, state.cache.references[uri] ?? []) }
            }
        }
    }

    /// The key sets in force, by URI.
    public func keys() -> [String: String] {
        state.withLock { $0.cache.keys }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.followStore() }
                group.addTask { await self.refreshLoop() }
            }
        }
        state.withLock { state in
            for continuation in state.subscribers.values { continuation.finish() }
            state.subscribers = [:]
        }
    }

    /// Tracks each store snapshot's URIs, fetches the new ones, then hands the snapshot on.
    private func followStore() async {
        for await snapshot in source() {
            let new = state.withLock { state in
                state.latest = snapshot
                return state.cache.track(snapshot.jwksReferences, now: .now)
            }
            await fetch(new)
            publish()
        }
    }

    /// Fetches what is due, every `tick`.
    private func refreshLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.tick) } catch { return }
            let due = state.withLock { $0.cache.due(at: .now) }
            guard !due.isEmpty else { continue }
            await fetch(due)
            publish()
        }
    }

    /// Fetches `uris` concurrently and records each result.
    func fetch(_ uris: [String]) async {
        guard !uris.isEmpty else { return }
        let timeouts = state.withLock { state in
            Dictionary(uniqueKeysWithValues: uris.map { ($0, settings.timeout(for: state.cache.references[$0] ?? [])) })
        }
        await withTaskGroup(of: (String, Result<String, JWKSError>).self) { group in
            for uri in uris {
                let timeout = timeouts[uri] ?? settings.defaultTimeout
                group.addTask {
                    do throws(JWKSError) {
                        let body = try await self.fetcher.fetch(uri, timeout: timeout, limit: self.settings.sizeLimit)
                        return (uri, .success(try JWKSDocument.validate(body, limit: self.settings.sizeLimit)))
                    } catch {
                        return (uri, .failure(error))
                    }
                }
            }
            for await (uri, result) in group { record(uri, result) }
        }
    }

    private func record(_ uri: String, _ result: Result<String, JWKSError>) {
        let now = ContinuousClock.now
        switch result {
        case .success(let keys):
            let changed = state.withLock {
                $0.cache.succeeded(uri, keys: keys, at: now, date: Date(), settings: settings)
            }
            if changed { logger.info("jwks fetched", metadata: ["uri": "\(uri)", "bytes": "\(keys.utf8.count)"]) }
        case .failure(let error):
            let (entry, references) = state.withLock { state in
                (
                    state.cache.failed(uri, error: error, at: now, date: Date(), settings: settings),
                    state.cache.references[uri] ?? []
                )
            }
            guard let entry else { return }
            if entry.keys == nil {
                for reference in references {
                    logger.warning(
                        "\(reference): jwksUri \(uri) has no key set (\(error)); every token of this issuer is rejected"
                    )
                }
            } else {
                let since = entry.lastSuccess.map { "\($0)" } ?? "-"
                logger.warning("jwksUri \(uri): \(error); the key set fetched at \(since) stays in force")
            }
        }
    }

    /// Hands the newest store snapshot on with the keys in force, when its version moved.
    private func publish() {
        state.withLock { state in
            guard let latest = state.latest else { return }
            var keyed = latest.withFetchedJWKS(state.cache.keys)
            guard keyed.version != state.published?.version else { return }
            // New key sets are a change of their own: recorded under the next generation, which covers the store's
            // changes up to `latest` as well.
            if let published = state.published, keyed.fetchedJWKS != published.fetchedJWKS, let changeLog {
                keyed = keyed.stamped(generation: changeLog.record(ChangeSet(fetchedJWKS: true)))
            }
            state.published = keyed
            for continuation in state.subscribers.values { continuation.yield(keyed) }
        }
    }
}
