public import Foundation
public import MeshModel

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

/// An accepted configuration change: a new snapshot and what made it differ from the last one.
public struct ConfigChange: Sendable {
    /// Equal to the provider generation that carries it; increases by one per change.
    public var id: UInt64
    public var snapshotVersion: String
    public var publishedAt: Date
    public var objects: [ObjectChange]

    public init(id: UInt64, snapshotVersion: String, publishedAt: Date, objects: [ObjectChange]) {
        self.id = id
        self.snapshotVersion = snapshotVersion
        self.publishedAt = publishedAt
        self.objects = objects
    }

    /// "endpoint" when only workloads or EndpointSlices changed, else "config" — Istio's push trigger types.
    public var trigger: String {
        let workloadKinds: Set<ResourceKind> = [.pod, .workloadEntry, .endpointSlice]
        return objects.allSatisfy { workloadKinds.contains($0.key.kind) } && !objects.isEmpty ? "endpoint" : "config"
    }
}

extension ConfigChange {
    /// What differs between two snapshots' objects. Sorted by key.
    public static func objectChanges(from old: MeshSnapshot?, to new: MeshSnapshot) -> [ObjectChange] {
        var changes: [ObjectChange] = []
        let before = old?.objects ?? [:]
        for (key, object) in new.objects {
            if let previous = before[key] {
                if previous.resource != object.resource {
                    changes.append(ObjectChange(key: key, action: .updated, source: object.source))
                }
            } else {
                changes.append(ObjectChange(key: key, action: .added, source: object.source))
            }
        }
        for (key, object) in before where new.objects[key] == nil {
            changes.append(ObjectChange(key: key, action: .removed, source: object.source))
        }
        return changes.sorted { $0.key < $1.key }
    }
}
