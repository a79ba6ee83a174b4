public import Foundation
public import MeshModel

/// Why a push happens, as Istio names its push triggers (`meshd_xds_push_triggers_total{type}`).
public enum PushTrigger: String, Sendable, Hashable {
    /// Only workloads changed (Pods, WorkloadEntries, EndpointSlices).
    case endpoint
    /// Anything else: config objects, the mesh config, fetched key sets, or the first snapshot.
    case config
}

/// An accepted configuration change: a new snapshot and what made it differ from the last one.
public struct ConfigChange: Sendable {
    /// The `ChangeLog` generation of the snapshot that carries it: one number from the store to the ACK.
    public var id: UInt64
    public var snapshotVersion: String
    public var publishedAt: Date
    /// What changed since the previous change, as the store (or the JWKS fetcher) recorded it.
    public var changes: ChangeSet
    /// The objects added, updated or removed, sorted by key.
    public var objects: [ObjectChange]

    public init(id: UInt64, snapshotVersion: String, publishedAt: Date, changes: ChangeSet) {
        self.id = id
        self.snapshotVersion = snapshotVersion
        self.publishedAt = publishedAt
        self.changes = changes
        self.objects = changes.sortedObjects
    }

    /// A change of just these objects (for tests and status pages that show one).
    public init(id: UInt64, snapshotVersion: String, publishedAt: Date, objects: [ObjectChange]) {
        self.init(
            id: id, snapshotVersion: snapshotVersion, publishedAt: publishedAt, changes: ChangeSet(objects: objects))
    }

    /// `.endpoint` when only workloads or EndpointSlices changed, else `.config`.
    public var trigger: PushTrigger { changes.isEndpointOnly ? .endpoint : .config }
}
