public import Foundation
import Synchronization

/// A job that must be done once for the whole replica set on Kubernetes, so only the holder of the leader Lease runs
/// it (`KubernetesReplicaService`). The Kubernetes counterpart of `LeaderDuty`.
///
/// `run` is called each time this replica becomes leader and cancelled when it stops. Every write goes through the
/// fence, which refuses it once the leadership is no longer certain; `run` then ends with
/// `KubernetesLeaderFence.Deposed`. Other errors are logged and `run` is called again after a pause.
public protocol KubernetesLeaderDuty: Sendable {
    /// Shown in `/debug/replicas` and the logs.
    var name: String { get }
    func run(_ fence: KubernetesLeaderFence) async throws
}

/// The leader's access to the API server for its duties: reads, and writes allowed only while the leadership is
/// certain for the whole write.
///
/// The API server has no transaction across objects, so the fence is by time, as client-go's leader election is: a
/// write may start only if it will have ended (its request timeout) before `renewDeadline` after the last renewal
/// was sent. Another replica takes the Lease only after seeing it unchanged for the whole lease duration, which is
/// longer than `renewDeadline`; so a leader that cannot renew stops writing before its Lease can be taken, with a
/// margin of a third of the duration for clocks that run at different rates. What time cannot fence is a request the
/// server holds past its client's timeout and applies late; Docs/kubernetes.md says so.
public struct KubernetesLeaderFence: Sendable {
    /// A write was refused: the leadership ended, or will have ended before the write could finish.
    public struct Deposed: Error, CustomStringConvertible {
        public var description: String { "no longer certainly the leader: the fenced write was not sent" }
    }

    package let client: KubernetesClient
    let validity: LeadershipValidity
    /// The timeout of each fenced write.
    public let writeTimeout: Duration

    package init(client: KubernetesClient, validity: LeadershipValidity, writeTimeout: Duration) {
        self.client = client
        self.validity = validity
        self.writeTimeout = writeTimeout
    }

    /// Whether a write started now would be allowed.
    public var isValid: Bool { validity.allows(ContinuousClock.now, lasting: writeTimeout) }

    /// A read (no fence needed): the status and body, whatever the status.
    package func read(_ path: String, query: [(String, String)] = []) async throws -> (status: Int, body: Data) {
        try await client.send(.get, path, query: query, timeout: writeTimeout.timeAmount)
    }

    /// Sends one write if the leadership is certain until it has timed out; throws `Deposed` (and sends nothing)
    /// otherwise. Returns the status and body, whatever the status.
    package func write(
        _ verb: KubernetesVerb, _ path: String, json body: Data
    ) async throws -> (status: Int, body: Data) {
        guard validity.allows(ContinuousClock.now, lasting: writeTimeout) else { throw Deposed() }
        return try await client.send(verb, path, json: body, timeout: writeTimeout.timeAmount)
    }
}

/// Until when this replica's leadership is certain: `renewDeadline` after the send time of its last successful
/// renewal; nothing once revoked. Thread-safe; shared by the election loop and the duties.
package final class LeadershipValidity: Sendable {
    private let renewedAt = Mutex<ContinuousClock.Instant?>(nil)
    package let renewDeadline: Duration

    package init(renewDeadline: Duration) {
        self.renewDeadline = renewDeadline
    }

    /// A renewal sent at `sent` succeeded.
    package func renewed(sentAt sent: ContinuousClock.Instant) {
        renewedAt.withLock { current in current = max(current ?? sent, sent) }
    }

    /// The leadership is over (lost, or given back).
    package func revoke() {
        renewedAt.withLock { $0 = nil }
    }

    /// Whether something started at `now` and lasting `duration` ends before the deadline.
    package func allows(_ now: ContinuousClock.Instant, lasting duration: Duration) -> Bool {
        guard let renewed = renewedAt.withLock({ $0 }) else { return false }
        return now + duration <= renewed + renewDeadline
    }
}
