import XDSServer

/// One connected proxy as a row of the status page: its name and, per xDS type, the sync state that
/// `/debug/syncz` reports (the same `ProxySyncJSON.status(of:)` decides it), with what an operator needs
/// next to it: how long a response has waited for its ACK, or the first line of the rejection.
struct ProxySyncRow {
    /// One type's cell.
    struct Cell {
        /// cds, lds, eds, rds or sds.
        var type: String
        /// SYNCED, STALE, NACKED or NOT_SENT, as in `/debug/syncz`.
        var status: String
        /// For STALE: how long the response has waited for an ACK.
        var waitingSeconds: Double?
        /// For NACKED: Envoy's `error_detail`.
        var error: String?
        var sentVersion: String?
        var ackedVersion: String?
    }

    /// The columns, in `istioctl proxy-status` order.
    static let columns: [XDSType] = [.cluster, .listener, .endpoint, .route, .secret]

    /// The node id.
    var proxy: String
    var connectedSeconds: Double
    var cells: [Cell]

    init(_ status: ProxySyncStatus, now: ContinuousClock.Instant = .now) {
        proxy = status.proxy
        connectedSeconds = Durations.seconds(now - status.connectedAt)
        cells = Self.columns.map { type in
            guard let state = status.types[type] else { return Cell(type: type.shortName, status: "NOT_SENT") }
            let verdict = ProxySyncJSON.status(of: state)
            var cell = Cell(
                type: type.shortName, status: verdict, sentVersion: state.lastSent?.version,
                ackedVersion: state.ackedVersion)
            if verdict == "STALE", let sent = state.lastSent { cell.waitingSeconds = Durations.seconds(now - sent.at) }
            if verdict == "NACKED" { cell.error = state.lastNack?.message ?? "rejected (no error_detail)" }
            if verdict == "NOT_FOUND" {
                cell.error = state.notFound.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                    separator: "; ")
            }
            return cell
        }
    }

    /// The parts of an Istio node id (`sidecar~<ip>~<pod>.<namespace>~<domain>`); nil for other ids.
    var nodeParts: (kind: String, ip: String, workload: String)? {
        let parts = proxy.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }
}
