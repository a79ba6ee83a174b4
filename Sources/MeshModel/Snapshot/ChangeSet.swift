import Synchronization

/// One object that a change added, updated or removed, with where it was read from.
public struct ObjectChange: Sendable, Hashable {
    public enum Action: String, Sendable { case added, updated, removed }

    public var key: ResourceKey
    public var action: Action
    /// The file and document of the new version (of the old one for removals).
    public var source: SourceLocation

    public init(key: ResourceKey, action: Action, source: SourceLocation) {
        self.key = key
        self.action = action
        self.source = source
    }
}

/// What one or more published snapshots changed, as the stage that made the change knows it: the objects by key,
/// the mesh config, the fetched JWKS key sets, and the services whose endpoints moved. Istio's
/// `PushRequest.ConfigsUpdated` is the model. Changes merge (`merge(_:)`), so a reader that skipped snapshots
/// still learns everything that changed since the one it last saw.
public struct ChangeSet: Sendable, Hashable {
    /// The objects changed, by key.
    public private(set) var objects: [ResourceKey: ObjectChange] = [:]
    public var meshConfig = false
    /// The key sets fetched from `jwksUri`s changed (a key rotation, or a first fetch).
    public var fetchedJWKS = false
    /// The hostnames of services whose endpoints (on any port) differ.
    public var endpointHostnames: Set<String> = []
    /// Unknown: the reader must assume anything changed (its first snapshot, or a log that no longer reaches back).
    public var everything = false

    public init(
        objects: [ObjectChange] = [], meshConfig: Bool = false, fetchedJWKS: Bool = false,
        endpointHostnames: Set<String> = [], everything: Bool = false
    ) {
        for object in objects { self.objects[object.key] = object }
        self.meshConfig = meshConfig
        self.fetchedJWKS = fetchedJWKS
        self.endpointHostnames = endpointHostnames
        self.everything = everything
    }

    /// Anything may have changed.
    public static let unknown = ChangeSet(everything: true)

    /// What a reader's first snapshot stands for: every object in it added, and anything else possibly changed.
    public static func initial(_ snapshot: MeshSnapshot) -> ChangeSet {
        var changes = ChangeSet(
            objects: snapshot.objects.values.map { ObjectChange(key: $0.key, action: .added, source: $0.source) })
        changes.everything = true
        return changes
    }

    /// The changed objects, sorted by key.
    public var sortedObjects: [ObjectChange] { objects.values.sorted { $0.key < $1.key } }

    /// The kinds of the changed objects.
    public var kinds: Set<ResourceKind> { Set(objects.keys.map(\.kind)) }

    public var isEmpty: Bool {
        objects.isEmpty && !meshConfig && !fetchedJWKS && endpointHostnames.isEmpty && !everything
    }

    /// The kinds whose objects only place workloads: a change of nothing else is an endpoint change.
    public static let workloadKinds: Set<ResourceKind> = [.pod, .workloadEntry, .endpointSlice, .node]

    /// True when only workloads changed (Istio's "endpoint" trigger).
    public var isEndpointOnly: Bool {
        !objects.isEmpty && !everything && !meshConfig && !fetchedJWKS && kinds.isSubset(of: Self.workloadKinds)
    }

    /// Folds a later change into this one: the result is what changed from before `self` to after `later`.
    public mutating func merge(_ later: ChangeSet) {
        for (key, next) in later.objects {
            guard let earlier = objects[key] else {
                objects[key] = next
                continue
            }
            switch (earlier.action, next.action) {
            case (.added, .removed): objects[key] = nil  // never seen by the reader
            case (.added, _): objects[key] = ObjectChange(key: key, action: .added, source: next.source)
            case (.removed, .added), (.removed, .updated):
                objects[key] = ObjectChange(key: key, action: .updated, source: next.source)
            default: objects[key] = next
            }
        }
        meshConfig = meshConfig || later.meshConfig
        fetchedJWKS = fetchedJWKS || later.fetchedJWKS
        endpointHostnames.formUnion(later.endpointHostnames)
        everything = everything || later.everything
    }

    public func merged(with later: ChangeSet) -> ChangeSet {
        var result = self
        result.merge(later)
        return result
    }
}

/// The one generation counter of the control plane, and what changed at each generation.
///
/// The config store records every snapshot it publishes; a stage after it that makes a snapshot of its own (the
/// JWKS fetcher, when key sets change) records into the same log. A snapshot carries the generation it was
/// recorded at (`MeshSnapshot.generation`); the push carries it to every response, and an ACK of a response
/// settles every change up to its generation. Keeps the last `capacity` entries. Thread-safe.
public final class ChangeLog: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var entries: [(generation: UInt64, changes: ChangeSet)] = []
    }

    private let state = Mutex(State())
    private let capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
    }

    /// The newest generation recorded (0 before the first).
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Records `changes` under the next generation and returns it.
    public func record(_ changes: ChangeSet) -> UInt64 {
        state.withLock { state in
            state.generation += 1
            state.entries.append((state.generation, changes))
            if state.entries.count > capacity { state.entries.removeFirst(state.entries.count - capacity) }
            return state.generation
        }
    }

    /// Everything that changed after generation `after` up to and including `through`; `.unknown` when `after` is
    /// 0 (the reader has seen nothing) or the log no longer reaches back to it.
    public func changes(after: UInt64, through: UInt64) -> ChangeSet {
        guard after > 0 else { return .unknown }
        guard after < through else { return ChangeSet() }
        return state.withLock { state in
            guard let oldest = state.entries.first?.generation, oldest <= after + 1 else { return .unknown }
            var result = ChangeSet()
            for entry in state.entries where entry.generation > after && entry.generation <= through {
                result.merge(entry.changes)
            }
            return result
        }
    }
}

extension MeshSnapshot {
    /// This snapshot as recorded at `generation` of a `ChangeLog`.
    public func stamped(generation: UInt64) -> MeshSnapshot {
        var copy = self
        copy.generation = generation
        return copy
    }

    /// The hostnames of services whose endpoints differ from `old`'s (on any port, including services that
    /// appeared or left).
    public func endpointHostnames(changedSince old: MeshSnapshot) -> Set<String> {
        var hostnames = Set<String>()
        for (hostname, ports) in endpoints where old.endpoints[hostname] != ports { hostnames.insert(hostname) }
        for hostname in old.endpoints.keys where endpoints[hostname] == nil { hostnames.insert(hostname) }
        return hostnames
    }
}

extension ChangeSet {
    /// What differs between two snapshots, found by comparing them object by object: for tests and tools. The
    /// store knows its changes without this walk (it compares content hashes as it builds the snapshot).
    public init(from old: MeshSnapshot, to new: MeshSnapshot) {
        var objects: [ObjectChange] = []
        for (key, object) in new.objects {
            if let previous = old.objects[key] {
                if previous.resource != object.resource {
                    objects.append(ObjectChange(key: key, action: .updated, source: object.source))
                }
            } else {
                objects.append(ObjectChange(key: key, action: .added, source: object.source))
            }
        }
        for (key, object) in old.objects where new.objects[key] == nil {
            objects.append(ObjectChange(key: key, action: .removed, source: object.source))
        }
        self.init(
            objects: objects, meshConfig: old.meshConfig != new.meshConfig,
            fetchedJWKS: old.fetchedJWKS != new.fetchedJWKS,
            endpointHostnames: new.endpointHostnames(changedSince: old))
    }
}
