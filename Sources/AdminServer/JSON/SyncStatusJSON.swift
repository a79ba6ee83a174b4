import Foundation
import XDSServer

/// `/debug/syncz` rows: per proxy and per type, what was sent, what was ACKed, and the last NACK.
struct ProxySyncJSON: Encodable {
    var proxy: String
    var connectionID: UInt64
    var connectedSeconds: Double
    var types: [String: TypeSyncJSON]
}

/// One type's sync state. `status` is SYNCED, STALE (sent, not yet ACKed), NACKED, NOT_FOUND (the last response told
/// a proxyless gRPC client that subscribed names do not exist; `notFound` says which and why) or NOT_SENT.
struct TypeSyncJSON: Encodable {
    var typeUrl: String
    var status: String
    var sentVersion: String?
    var sentNonce: String?
    /// Seconds since the last response of this type was sent (how long a STALE type has waited for its ACK).
    var sentAgeSeconds: Double?
    var ackedVersion: String?
    /// Delta only: what the proxy accepted, name to each resource's own version.
    var ackedResources: [String: String]?
    var resourceNames: [String]
    var lastNack: NackJSON?
    /// Subscribed names reported missing, with meshd's reason; absent when none.
    var notFound: [String: String]?
}

struct NackJSON: Encodable {
    var version: String
    var nonce: String
    var resourceNames: [String]
    var error: String
    var at: String
}

extension ProxySyncJSON {
    init(_ status: ProxySyncStatus, now: ContinuousClock.Instant = .now, wallNow: Date = Date()) {
        proxy = status.proxy
        connectionID = status.connectionID
        connectedSeconds = Self.seconds(now - status.connectedAt)
        types = [:]
        for (type, state) in status.types {
            let nack = state.lastNack.map { nack in
                NackJSON(
                    version: nack.version, nonce: nack.nonce, resourceNames: nack.resourceNames, error: nack.message,
                    at: Self.iso8601(wallNow.addingTimeInterval(-Self.seconds(now - nack.at))))
            }
            types[type.shortName] = TypeSyncJSON(
                typeUrl: type.rawValue, status: Self.status(of: state), sentVersion: state.lastSent?.version,
                sentNonce: state.lastSent?.nonce, sentAgeSeconds: state.lastSent.map { Self.seconds(now - $0.at) },
                ackedVersion: state.ackedVersion, ackedResources: status.deltaAckedResources[type],
                resourceNames: state.lastSent?.resourceNames ?? [], lastNack: nack,
                notFound: state.notFound.isEmpty ? nil : state.notFound)
        }
    }

    static func status(of state: SotWTypeState) -> String {
        guard let sent = state.lastSent else { return "NOT_SENT" }
        if state.rejectedVersion == sent.version { return "NACKED" }
        if !state.notFound.isEmpty { return "NOT_FOUND" }
        return state.ackedVersion == sent.version ? "SYNCED" : "STALE"
    }

    static func seconds(_ duration: Duration) -> Double { Durations.seconds(duration) }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
