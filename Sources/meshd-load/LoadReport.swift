import Foundation

/// Everything one run measured; printed as a table or as JSON (`--json`).
struct LoadReport: Codable, Sendable {
    struct Latencies: Codable, Sendable {
        var count: Int
        var p50Ms: Double
        var p90Ms: Double
        var p99Ms: Double
        var maxMs: Double

        init(_ durations: [Duration]) {
            let ms = durations.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
                .sorted()
            func percentile(_ p: Double) -> Double {
                guard !ms.isEmpty else { return 0 }
                let rank = Int((p * Double(ms.count)).rounded(.up))
                return ms[max(0, min(ms.count - 1, rank - 1))]
            }
            count = ms.count
            p50Ms = percentile(0.50)
            p90Ms = percentile(0.90)
            p99Ms = percentile(0.99)
            maxMs = ms.last ?? 0
        }
    }

    struct Change: Codable, Sendable {
        var kind: String
        var affected: Int
        var converged: Int
        var latency: Latencies
        /// Responses meshd sent per type during the change (`pilot_xds_pushes` deltas).
        var pushesByType: [String: Int]
        var bytesSentByType: [String: Int]
    }

    var server: String
    var mode: String
    var services: Int
    var endpointsPerService: Int
    var proxies: Int
    var nackingProxies: Int
    var stalledProxies: Int
    var synced: Int
    var syncSeconds: Double?
    var syncLatency: Latencies
    var bytesReceivedDuringSync: Int
    var serverRSSAfterSyncMB: Double?
    /// RSS `settleSeconds` after the last proxy synced, with every proxy still connected and idle: what the
    /// server keeps, once freed serialisation buffers went back to the system.
    var serverRSSSettledMB: Double? = nil
    var serverPeakRSSMB: Double?
    var serverCPUSecondsForSync: Double?
    var change: Change?
    var churn: Churn? = nil
    var reconnect: Reconnect?
    var serverCPUSecondsTotal: Double?
    var sessionErrors: [String: Int]
    var notes: [String]

    /// S7: endpoint moves at a fixed rate, each proxy's reception of each move timed from its file write.
    /// The pair and latency figures come from `ChurnRecorder.summary()`; the scenario sets the rest.
    struct Churn: Codable, Sendable {
        var ratePerSecond: Double = 0
        var seconds: Double = 0
        var moves: Int
        /// Moves that could not be written on time (the writer fell behind its schedule by more than one interval).
        var lateWrites = 0
        var churnedServices = 0
        /// Proxy-move pairs: received, expected (every proxy subscribes to every service), and superseded by a later
        /// move of the same service before arriving.
        var received: Int
        var expected: Int
        var superseded: Int
        var p50Ms: Double?
        var p99Ms: Double?
        var maxMs: Double
        /// Mean time until every proxy held a move (of the moves every proxy received), over the first and the last
        /// tenth of the moves: a backlog shows as the last tenth taking longer.
        var firstTenthFullMs: Double?
        var lastTenthFullMs: Double?
        var serverCPUSeconds: Double?
        var serverRSSMB: Double?
        var serverPeakRSSMB: Double?
        var pushesByType: [String: Int] = [:]
    }

    struct Reconnect: Codable, Sendable {
        var resynced: Int
        var seconds: Double?
        var resourcesResent: Int
        /// Delta only: resources re-sent at a version the proxy already held (the target is zero).
        var unchangedResent: Int?
        var serverRSSAfterMB: Double?
    }

    func printTable() {
        func row(_ name: String, _ value: String) {
            print(name.padding(toLength: 34, withPad: " ", startingAt: 0) + value)
        }
        func mb(_ value: Double?) -> String { value.map { String(format: "%.1f MB", $0) } ?? "n/a" }
        func secs(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "not reached" }
        print(
            "meshd-load: \(proxies) proxies (\(mode)) against \(server), mesh \(services) services × \(endpointsPerService) endpoints"
        )
        row("synced", "\(synced)/\(proxies)")
        row("time to sync all", secs(syncSeconds))
        row(
            "sync p50/p90/p99/max",
            String(
                format: "%.0f / %.0f / %.0f / %.0f ms", syncLatency.p50Ms, syncLatency.p90Ms, syncLatency.p99Ms,
                syncLatency.maxMs))
        row("bytes received (sync)", String(format: "%.1f MB", Double(bytesReceivedDuringSync) / 1e6))
        row("server RSS after sync", mb(serverRSSAfterSyncMB))
        row("server RSS settled (3 s later)", mb(serverRSSSettledMB))
        row("server peak RSS", mb(serverPeakRSSMB))
        row("server CPU for sync", serverCPUSecondsForSync.map { String(format: "%.2f s", $0) } ?? "n/a")
        if let change {
            row("change", "\(change.kind): \(change.converged)/\(change.affected) proxies saw new content")
            row(
                "convergence p50/p90/p99/max",
                String(
                    format: "%.0f / %.0f / %.0f / %.0f ms", change.latency.p50Ms, change.latency.p90Ms,
                    change.latency.p99Ms, change.latency.maxMs))
            row(
                "pushes by type (server)",
                change.pushesByType.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            row(
                "bytes by type (server)",
                change.bytesSentByType.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            )
        }
        if let churn {
            row(
                "churn",
                String(
                    format: "%d moves (%.0f/s for %.0f s, %d late) over %d services", churn.moves, churn.ratePerSecond,
                    churn.seconds, churn.lateWrites, churn.churnedServices))
            row(
                "churn received / superseded",
                "\(churn.received)/\(churn.expected) proxy-moves, \(churn.superseded) superseded")
            row(
                "churn p50/p99/max",
                String(format: "%.0f / %.0f / %.0f ms", churn.p50Ms ?? -1, churn.p99Ms ?? -1, churn.maxMs))
            row(
                "churn all proxies, first/last 10%",
                String(format: "%.0f / %.0f ms", churn.firstTenthFullMs ?? -1, churn.lastTenthFullMs ?? -1))
            row(
                "churn server CPU, RSS",
                "\(churn.serverCPUSeconds.map { String(format: "%.2f s", $0) } ?? "n/a"), \(mb(churn.serverRSSMB)) (peak \(mb(churn.serverPeakRSSMB)))"
            )
        }
        if let reconnect {
            row("reconnect: resynced", "\(reconnect.resynced)/\(proxies) in \(secs(reconnect.seconds))")
            row("reconnect: resources re-sent", "\(reconnect.resourcesResent)")
            if let unchanged = reconnect.unchangedResent { row("reconnect: unchanged re-sent", "\(unchanged)") }
            row("server RSS after reconnect", mb(reconnect.serverRSSAfterMB))
        }
        row("server CPU total", serverCPUSecondsTotal.map { String(format: "%.2f s", $0) } ?? "n/a")
        for (error, count) in sessionErrors.sorted(by: { $0.value > $1.value }) {
            row("session error ×\(count)", error)
        }
        for note in notes { print("note: \(note)") }
    }

    func printJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}
