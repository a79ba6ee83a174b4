public import Foundation

/// Leader election on one `coordination.k8s.io/v1` Lease, decided the way client-go's `leaderelection` decides it.
/// Pure: the caller reads the Lease, asks `next` what to write, writes it with the Lease's resourceVersion (so of
/// two candidates that read the same version only one write succeeds), and reports what the server stored.
///
/// - An absent Lease is created with this candidate as holder.
/// - A Lease held by another is taken only once it has not changed for its `leaseDurationSeconds`, as measured on
///   this replica's monotonic clock from when it first saw the current record. The holder's wall clock (its
///   `renewTime`) is written for people and tools, never trusted for expiry, so clock skew between nodes cannot
///   make a live leader look expired.
/// - A released Lease (empty holder) is taken at once.
/// - Taking over sets `acquireTime` and increments `leaseTransitions`; renewing keeps both and moves `renewTime`.
public struct LeaseElection: Sendable {
    /// What to do after a read.
    public enum Step: Sendable, Equatable {
        /// No Lease yet: create this one (409 AlreadyExists means another candidate won the race).
        case create(KubernetesLease)
        /// Take over or renew: write this one (409 Conflict means the Lease changed since the read).
        case update(KubernetesLease)
        /// Another holder's lease is current: wait and read again.
        case wait(holder: String)
    }

    public let namespace: String
    public let name: String
    public let identity: String
    /// The `leaseDurationSeconds` this candidate writes.
    public let leaseDuration: Duration
    /// The last record seen (its spec: who holds it, since when, renewed when) and when it was first seen.
    public private(set) var observed: KubernetesLease?
    public private(set) var observedAt: ContinuousClock.Instant?

    public init(namespace: String, name: String, identity: String, leaseDuration: Duration) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
    }

    var durationSeconds: Int { max(1, Int(leaseDuration.components.seconds)) }

    /// The holder of the last record seen, if any.
    public var observedHolder: String? {
        guard let holder = observed?.holderIdentity, !holder.isEmpty else { return nil }
        return holder
    }

    /// What to write after reading `read` (nil: no Lease) at `now`; `wallNow` is written as the times.
    public mutating func next(
        read: KubernetesLease?, now: ContinuousClock.Instant, wallNow: Date = Date()
    ) -> Step {
        guard let read else {
            var lease = KubernetesLease(namespace: namespace, name: name)
            lease.holderIdentity = identity
            lease.leaseDurationSeconds = durationSeconds
            lease.acquireTime = wallNow
            lease.renewTime = wallNow
            lease.leaseTransitions = 0
            return .create(lease)
        }
        observe(read, at: now)
        let holder = read.holderIdentity ?? ""
        if !holder.isEmpty, holder != identity, let since = observedAt {
            let theirs = Duration.seconds(max(1, read.leaseDurationSeconds ?? durationSeconds))
            if now < since + theirs { return .wait(holder: holder) }
        }
        var lease = read
        lease.holderIdentity = identity
        lease.leaseDurationSeconds = durationSeconds
        lease.renewTime = wallNow
        if holder != identity {
            lease.acquireTime = wallNow
            lease.leaseTransitions = (read.leaseTransitions ?? 0) + 1
        } else if lease.acquireTime == nil {
            lease.acquireTime = wallNow
        }
        return .update(lease)
    }

    /// The server stored `lease` (this candidate's create or update) at about `now`.
    public mutating func stored(_ lease: KubernetesLease, at now: ContinuousClock.Instant) {
        observed = lease
        observedAt = now
    }

    /// Notes `read` and, when its record differs from the one seen before, restarts the expiry clock.
    mutating func observe(_ read: KubernetesLease, at now: ContinuousClock.Instant) {
        if let observed, Self.sameRecord(observed, read) { return }
        observed = read
        observedAt = now
    }

    /// The fields of the election record (client-go compares the record, not the resourceVersion).
    static func sameRecord(_ a: KubernetesLease, _ b: KubernetesLease) -> Bool {
        a.holderIdentity == b.holderIdentity && a.leaseDurationSeconds == b.leaseDurationSeconds
            && a.acquireTime == b.acquireTime && a.renewTime == b.renewTime && a.leaseTransitions == b.leaseTransitions
    }
}
