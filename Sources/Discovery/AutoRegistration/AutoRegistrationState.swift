public import Foundation
public import MeshModel

/// The registry of auto-registered WorkloadEntries, as a value with no clock and no I/O: connections and
/// disconnections come in with their instants, and `expired(at:)` says which entries the grace period has run out
/// for. `WorkloadAutoRegistration` holds it under a lock and writes the store.
struct AutoRegistrationState {
    /// One registered entry.
    struct Registration {
        var entry: WorkloadEntry
        /// The node id of the proxy that registered it last.
        var proxyID: String
        /// Live ADS connections of proxies registering this entry (a proxy may reconnect before its old stream ends).
        var connections: Int
        var connectedAt: Date
        /// When the last connection ended; nil while one is live.
        var disconnectedAt: Date?
        /// When the entry goes, once no connection is live.
        var deadline: ContinuousClock.Instant?
    }

    private(set) var registrations: [ResourceKey: Registration] = [:]
    /// Entry keys of each node id's live connections, one per connection, to undo on disconnection.
    private var connectionsByProxy: [String: [ResourceKey]] = [:]

    /// A connection of `proxyID` registers `entry`: a new entry, or one back within its grace period (its deadline
    /// dropped), now with the group's current content. Returns whether the store must be written.
    mutating func connected(
        _ entry: WorkloadEntry, proxyID: String, at date: Date
    ) -> Bool {
        let key = MeshResource.workloadEntry(entry).key
        connectionsByProxy[proxyID, default: []].append(key)
        if var existing = registrations[key] {
            let changed = existing.entry != entry
            existing.entry = entry
            existing.proxyID = proxyID
            existing.connections += 1
            existing.connectedAt = date
            existing.disconnectedAt = nil
            existing.deadline = nil
            registrations[key] = existing
            return changed
        }
        registrations[key] = Registration(
            entry: entry, proxyID: proxyID, connections: 1, connectedAt: date, disconnectedAt: nil, deadline: nil)
        return true
    }

    /// A connection of `proxyID` ended: its entry's last connection starts the grace period (`deadline`).
    mutating func disconnected(proxyID: String, at date: Date, deadline: ContinuousClock.Instant) {
        guard var keys = connectionsByProxy[proxyID], !keys.isEmpty else { return }
        let key = keys.removeFirst()
        connectionsByProxy[proxyID] = keys.isEmpty ? nil : keys
        guard var registration = registrations[key] else { return }
        registration.connections = max(0, registration.connections - 1)
        if registration.connections == 0 {
            registration.disconnectedAt = date
            registration.deadline = deadline
        }
        registrations[key] = registration
    }

    /// Removes and returns the entries for which `orphaned` holds (their WorkloadGroup is gone), whatever their
    /// connections: istiod's entries are garbage-collected with their owner group.
    mutating func removeAll(where orphaned: (WorkloadEntry) -> Bool) -> [ResourceKey] {
        let gone = registrations.filter { orphaned($0.value.entry) }.map(\.key).sorted()
        for key in gone { registrations[key] = nil }
        return gone
    }

    /// Removes and returns the entries whose grace period ended by `now`.
    mutating func expired(at now: ContinuousClock.Instant) -> [ResourceKey] {
        let due = registrations.filter { $0.value.deadline.map { $0 <= now } ?? false }.map(\.key).sorted()
        for key in due { registrations[key] = nil }
        return due
    }
}
