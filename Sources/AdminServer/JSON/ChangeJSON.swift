import Discovery
import Foundation
import MeshModel
import XDSServer

/// `/debug/changes`: one accepted change, what it touched, and how far it got on every proxy.
struct ChangeJSON: Encodable {
    struct Object: Encodable {
        var key: String
        var action: String
        var source: String
    }

    struct Summary: Encodable {
        var affected: Int
        var acknowledged: Int
        var rejected: Int
        var pending: Int
        var unaffected: Int
        var converged: Bool
        /// "converged on N of M".
        var text: String
        var timeToLastAckMs: Double?
        var stragglers: [String]
    }

    struct ProxyState: Encodable {
        var proxy: String
        /// pending, acknowledged, rejected, disconnected, unaffected, or not-evaluated.
        var state: String
        var sentAfterMs: Double?
        var ackedAfterMs: Double?
        var pendingTypes: [String]?
        var nack: NackExplanationJSON?
        /// Objects this change touched that also produced a rejected resource: the likely cause.
        var likelyCause: [String]?
    }

    var id: UInt64
    var snapshotVersion: String
    var publishedAt: String
    var trigger: String
    var objects: [Object]
    var summary: Summary
    var proxies: [ProxyState]

    /// `sent`: what the proxies were sent of the types they rejected, which explains the rejections.
    init(_ tracked: TrackedChange, sent: SentResources = .none) {
        id = tracked.change.id
        snapshotVersion = tracked.change.snapshotVersion
        publishedAt = ISO8601DateFormatter().string(from: tracked.change.publishedAt)
        trigger = tracked.change.trigger.rawValue
        objects = tracked.change.objects.map {
            Object(key: $0.key.description, action: $0.action.rawValue, source: $0.source.description)
        }
        var proxies: [ProxyState] = []
        var counts = (rejected: 0, pending: 0, unaffected: 0)
        for (connection, name) in tracked.candidates.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            var row = ProxyState(proxy: name, state: "not-evaluated")
            switch tracked.proxies[connection] {
            case .pending(let sentAt, let types)?:
                row.state = "pending"
                row.sentAfterMs = Durations.milliseconds(sentAt - tracked.publishedAt)
                row.pendingTypes = types.map(\.shortName).sorted()
                counts.pending += 1
            case .acknowledged(let sentAt, let at)?:
                row.state = "acknowledged"
                row.sentAfterMs = Durations.milliseconds(sentAt - tracked.publishedAt)
                row.ackedAfterMs = Durations.milliseconds(at - tracked.publishedAt)
            case .rejected(let type, let nack)?:
                row.state = "rejected"
                let explanation = NackExplanationJSON(
                    proxy: name, type: type, nack: nack, sent: sent.resources(connection: connection, type: type),
                    locate: sent.location(of:))
                let touched = Set(tracked.change.objects.map(\.key.description))
                row.nack = explanation
                row.likelyCause = Array(Set(explanation.sources.map(\.object)).intersection(touched)).sorted()
                counts.rejected += 1
            case .disconnected?:
                row.state = "disconnected"
            case .unaffected?:
                row.state = "unaffected"
                counts.unaffected += 1
            case nil:
                counts.pending += 1
            }
            proxies.append(row)
        }
        self.proxies = proxies
        let (acked, affected) = tracked.converged
        let time = tracked.timeToConvergence
        summary = Summary(
            affected: affected, acknowledged: acked, rejected: counts.rejected, pending: counts.pending,
            unaffected: counts.unaffected,
            converged: time != nil || (affected == 0 && counts.pending == 0),
            text: "converged on \(acked) of \(affected)", timeToLastAckMs: time.map(Durations.milliseconds),
            stragglers: tracked.stragglers)
    }
}
