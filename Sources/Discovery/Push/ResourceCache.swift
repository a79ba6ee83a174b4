import Synchronization
import XDSServer
import XDSTranslator

/// Generated resources per generator inputs, keyed by content: (the generation the type's inputs last changed at,
/// the generator's inputs, which name the type). Proxies with equal inputs share one generation and the same
/// `XDSResource` values, whose serialised bytes are therefore encoded once. Thread-safe.
///
/// Concurrent misses on one key generate once: the first caller generates, the others wait for it.
final class ResourceCache: Sendable {
    struct Key: Hashable, Sendable {
        var type: XDSType
        /// The generation at which this type's inputs last changed (see `MeshResourceProvider.update`).
        var epoch: UInt64
        /// Exactly what the type's generator reads of the proxy (`XDSTranslator`'s `ProxyInputs`).
        var inputs: GeneratorInputs
    }

    /// One generated set and its SotW version.
    struct Entry: Sendable {
        var resources: [XDSResource]
        var version: String
        /// `XDSResource.namesDigest(of: resources)`, computed once for every stream that shares the set.
        var namesDigest: UInt64? = nil
        /// Name → version of every resource, shared by the Delta streams that hold exactly this set.
        var versions: [String: String]? = nil

        init(resources: [XDSResource], version: String, namesDigest: UInt64? = nil) {
            self.resources = resources
            self.version = version
            self.namesDigest = namesDigest
            var versions = [String: String](minimumCapacity: resources.count)
            for resource in resources { versions[resource.name] = resource.version }
            self.versions = versions
        }
    }

    private enum Slot {
        case ready(Entry)
        case generating([CheckedContinuation<Entry, Never>])
    }

    private let slots = Mutex<[Key: Slot]>([:])
    private let metrics: PushMetrics?

    init(metrics: PushMetrics?) {
        self.metrics = metrics
    }

    /// The entry for `key`, generating it with `generate` on a miss.
    func entry(for key: Key, generate: () -> [XDSResource]) async -> Entry {
        enum Lookup {
            case hit(Entry)
            case wait
            case generate
        }
        let lookup = slots.withLock { slots -> Lookup in
            switch slots[key] {
            case .ready(let entry)?: return .hit(entry)
            case .generating?: return .wait
            case nil:
                slots[key] = .generating([])
                return .generate
            }
        }
        switch lookup {
        case .hit(let entry):
            metrics?.cacheHit()
            return entry
        case .wait:
            metrics?.cacheHit()
            return await withCheckedContinuation { continuation in
                let ready = slots.withLock { slots -> Entry?? in
                    switch slots[key] {
                    case .ready(let entry)?: return .some(entry)
                    case .generating(let waiters)?:
                        slots[key] = .generating(waiters + [continuation])
                        return .some(nil)
                    case nil: return nil
                    }
                }
                switch ready {
                case .some(.some(let entry)): continuation.resume(returning: entry)
                case .some(.none): break
                case .none:
                    continuation.resume(returning: Entry(resources: [], version: XDSResource.setVersion(of: [])))
                }
            }
        case .generate:
            metrics?.cacheMiss()
            let started = ContinuousClock.now
            let resources = generate()
            metrics?.generated(key.type, in: ContinuousClock.now - started)
            let entry = Entry(
                resources: resources, version: XDSResource.setVersion(of: resources),
                namesDigest: XDSResource.namesDigest(of: resources))
            let waiters = slots.withLock { slots -> [CheckedContinuation<Entry, Never>] in
                guard case .generating(let waiters)? = slots[key] else { return [] }
                slots[key] = .ready(entry)
                return waiters
            }
            for waiter in waiters { waiter.resume(returning: entry) }
            metrics?.cacheEntries(count)
            return entry
        }
    }

    /// Drops ready entries that `keep` rejects (older epochs). Entries being generated stay until done.
    func retain(where keep: (Key) -> Bool) {
        let remaining = slots.withLock { slots -> Int in
            slots = slots.filter { key, slot in
                if case .generating = slot { return true }
                return keep(key)
            }
            return slots.count
        }
        metrics?.cacheEntries(remaining)
    }

    /// The ready entries of `type`, with their keys.
    func readyEntries(of type: XDSType) -> [(key: Key, entry: Entry)] {
        slots.withLock { slots in
            slots.compactMap { key, slot in
                guard key.type == type, case .ready(let entry) = slot else { return nil }
                return (key, entry)
            }
        }
    }

    var count: Int { slots.withLock { $0.count } }
}
