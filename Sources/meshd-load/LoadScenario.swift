import Foundation
import Synchronization
import SyntheticMesh
import XDSClient

/// One measured run: sync, then optionally a change and a reconnect. The proxies run in one task group; this
/// type is their controller. Every wait is bounded by a timeout and polls at 10 ms.
struct LoadScenario {
    let options: RunOptions
    let mesh: SyntheticMesh
    let configDir: URL
    let target: LoadTarget
    var notes: [String]

    func run() async throws -> LoadReport {
        let proxies = options.proxies
        let recorder = FleetRecorder(proxies: proxies)
        let names = FollowUpNames()
        let signal = RoundSignal()
        let recording = options.record == nil ? nil : ResponseRecording()
        let nacking = Int((Double(proxies) * options.nackFraction).rounded())
        let address = XDSServerAddress.tcp(host: "127.0.0.1", port: target.xdsPort)
        let before = target.pid.flatMap(ProcessStats.read)

        return try await withThrowingTaskGroup(of: Void.self) { group in
            let start = ContinuousClock.now
            for index in 0..<proxies {
                let proxy = SimulatedProxy(
                    index: index, node: ProxyNode.make(index: index, mesh: mesh), nacks: index >= proxies - nacking,
                    address: address, recorder: recorder, names: names, signal: signal, recording: recording,
                    delta: options.mode == "delta")
                group.addTask { await proxy.run() }
            }
            for extra in 0..<options.stalledProxies {
                let stalled = StalledProxy(
                    node: ProxyNode.make(index: proxies + extra, mesh: mesh), port: target.xdsPort)
                group.addTask { await stalled.run() }
            }
            defer {
                signal.advance(finish: true)
                group.cancelAll()
            }
            var report = try await measureSync(recorder: recorder, start: start, before: before, nacking: nacking)
            if report.synced == proxies, let pid = target.pid {
                try await Task.sleep(for: .seconds(3))
                report.serverRSSSettledMB = ProcessStats.read(pid: pid).map { Double($0.rssBytes) / 1_048_576 }
            }
            if let recording, let dir = options.record {
                let written = try recording.write(to: URL(fileURLWithPath: dir))
                report.notes.append(
                    "recorded \(written.nodes) proxies, \(written.blobs) distinct responses into \(dir)")
            }
            if options.change != "none", report.synced == proxies {
                report.change = try await measureChange(recorder: recorder)
            }
            if options.churnRate > 0, report.synced == proxies {
                report.churn = try await measureChurn(recorder: recorder)
            }
            if options.reconnect, report.synced == proxies {
                report.reconnect = try await measureReconnect(recorder: recorder, signal: signal)
            }
            report.serverCPUSecondsTotal = both(before, target.pid.flatMap(ProcessStats.read)).map {
                $1.cpuSeconds - $0.cpuSeconds
            }
            report.sessionErrors = recorder.counters.sessionErrors
            if let rss = RSSGuard.tripped.withLock({ $0 }) {
                report.notes.append(
                    "stopped early: the server's RSS reached \(rss / 1_048_576) MB, past --max-server-rss-mb \(options.maxServerRssMb)"
                )
            }
            return report
        }
    }

    private func measureSync(
        recorder: FleetRecorder, start: ContinuousClock.Instant, before: ProcessStats?, nacking: Int
    )
        async throws -> LoadReport
    {
        let proxies = options.proxies
        await waitUntil(timeout: options.syncTimeout) { recorder.syncedCount >= proxies }
        let times = recorder.syncTimes
        let after = target.pid.flatMap(ProcessStats.read)
        let last = times.max()
        let counters = recorder.counters
        return LoadReport(
            server: target.name, mode: options.mode, services: mesh.services,
            endpointsPerService: mesh.endpointsPerService,
            proxies: proxies, nackingProxies: nacking, stalledProxies: options.stalledProxies, synced: times.count,
            syncSeconds: times.count == proxies ? last.map { Self.seconds($0 - start) } : nil,
            syncLatency: LoadReport.Latencies(times.map { $0 - start }),
            bytesReceivedDuringSync: counters.bytes.reduce(0, +),
            serverRSSAfterSyncMB: after.map { Double($0.rssBytes) / 1_048_576 },
            serverPeakRSSMB: after.map { Double($0.peakRSSBytes) / 1_048_576 },
            serverCPUSecondsForSync: both(before, after).map { $1.cpuSeconds - $0.cpuSeconds },
            change: nil, reconnect: nil, serverCPUSecondsTotal: nil, sessionErrors: [:], notes: notes)
    }

    /// Makes the change by rewriting one file (atomically), timed from the write.
    private func measureChange(recorder: FleetRecorder) async throws -> LoadReport.Change {
        let proxies = options.proxies
        let kind: XDSKind = options.change == "endpoint" ? .endpoint : .route
        // The endpoint change moves the last service's last endpoint: no simulated proxy is that workload unless
        // there are more proxies than workloads. The VirtualService change edits service 0's split.
        let service = kind == .endpoint ? mesh.services - 1 : 0
        let metricsBefore = target.adminPort.map(AdminHTTP.metrics) ?? [:]
        try await Task.sleep(for: .milliseconds(500))  // let the tail of the sync settle before arming
        recorder.arm(kind, at: .now)
        let path: String
        let text: String
        if kind == .endpoint {
            path = mesh.workloadFile(service)
            text = mesh.workloadsYAML(service, generation: 1)
        } else {
            path = mesh.serviceFile(service)
            text = mesh.serviceYAML(service, weight: 70)
        }
        let url = configDir.appendingPathComponent(path)
        let written = ContinuousClock.now
        try SyntheticMesh.writeAtomically(text, to: url)
        recorder.setWatchStart(written)
        await waitUntil(timeout: options.convergenceTimeout) { recorder.changedCount(among: 0..<proxies) >= proxies }
        try await Task.sleep(for: .seconds(1))  // count every push the change caused, not only the first ones
        let metricsAfter = target.adminPort.map(AdminHTTP.metrics) ?? [:]
        let (latencies, changed) = recorder.convergence(among: 0..<proxies)
        var pushes: [String: Int] = [:]
        var bytes: [String: Int] = [:]
        if target.adminPort != nil {
            for type in ["cds", "eds", "lds", "rds", "sds"] {
                pushes[type] = Int(
                    AdminHTTP.sample(metricsAfter, "pilot_xds_pushes", type: type)
                        - AdminHTTP.sample(metricsBefore, "pilot_xds_pushes", type: type))
                bytes[type] = Int(
                    AdminHTTP.sample(metricsAfter, "meshd_xds_sent_bytes", type: type)
                        - AdminHTTP.sample(metricsBefore, "meshd_xds_sent_bytes", type: type))
            }
        }
        return LoadReport.Change(
            kind: options.change, affected: proxies, converged: changed, latency: LoadReport.Latencies(latencies),
            pushesByType: pushes, bytesSentByType: bytes)
    }

    /// S7: moves one endpoint `--churn-rate` times a second for `--churn-seconds`, each time of the next service
    /// whose workloads no proxy is (so no proxy's own identity changes), and times each move to each proxy.
    private func measureChurn(recorder: FleetRecorder) async throws -> LoadReport.Churn {
        let proxies = options.proxies
        let perService = max(mesh.endpointsPerService, 1)
        let churned = Array(((proxies + perService - 1) / perService)..<mesh.services)
        guard !churned.isEmpty else {
            throw LoadError("--churn-rate: every service has a proxy among its workloads; use more --services")
        }
        for service in churned.prefix(1) + churned.suffix(1) {
            let path = configDir.appendingPathComponent(mesh.workloadFile(service)).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw LoadError("--churn-rate needs a mesh generated with --file-per-service (\(path) is missing)")
            }
        }
        let metricsBefore = target.adminPort.map(AdminHTTP.metrics) ?? [:]
        let statsBefore = target.pid.flatMap(ProcessStats.read)
        try await Task.sleep(for: .milliseconds(500))  // let the tail of the sync settle
        let churn = recorder.churn
        churn.start()
        let interval = Duration.microseconds(Int64(1_000_000 / options.churnRate))
        let moves = Int(options.churnRate * options.churnSeconds)
        let start = ContinuousClock.now
        var late = 0
        for move in 0..<moves {
            let due = start + interval * move
            if ContinuousClock.now < due { try await Task.sleep(until: due, clock: .continuous) }
            if ContinuousClock.now - due > interval { late += 1 }
            let service = churned[move % churned.count]
            let generation = move / churned.count + 1
            let url = configDir.appendingPathComponent(mesh.workloadFile(service))
            let text = mesh.workloadsYAML(service, generation: generation)
            let written = ContinuousClock.now
            try SyntheticMesh.writeAtomically(text, to: url)
            churn.moved(service: service, to: mesh.movedAddress(service: service, generation: generation), at: written)
        }
        // The last moves get the usual convergence time to arrive.
        await waitUntil(timeout: options.convergenceTimeout) { churn.outstanding() == 0 }
        churn.stop()
        let statsAfter = target.pid.flatMap(ProcessStats.read)
        let metricsAfter = target.adminPort.map(AdminHTTP.metrics) ?? [:]
        var pushes: [String: Int] = [:]
        if target.adminPort != nil {
            for type in ["cds", "eds", "lds", "rds", "sds"] {
                pushes[type] = Int(
                    AdminHTTP.sample(metricsAfter, "pilot_xds_pushes", type: type)
                        - AdminHTTP.sample(metricsBefore, "pilot_xds_pushes", type: type))
            }
        }
        var report = churn.summary()
        report.ratePerSecond = options.churnRate
        report.seconds = options.churnSeconds
        report.lateWrites = late
        report.churnedServices = churned.count
        report.serverCPUSeconds = both(statsBefore, statsAfter).map { $1.cpuSeconds - $0.cpuSeconds }
        report.serverRSSMB = statsAfter.map { Double($0.rssBytes) / 1_048_576 }
        report.serverPeakRSSMB = statsAfter.map { Double($0.peakRSSBytes) / 1_048_576 }
        report.pushesByType = pushes
        return report
    }

    /// Drops every connection at once and times how long until everyone is synced again.
    private func measureReconnect(recorder: FleetRecorder, signal: RoundSignal) async throws -> LoadReport.Reconnect {
        let proxies = options.proxies
        let resourcesBefore = recorder.counters.resources.reduce(0, +)
        let unchangedBefore = recorder.counters.unchangedResent
        recorder.beginRound(signal.round + 1)
        let start = ContinuousClock.now
        signal.advance()
        await waitUntil(timeout: options.syncTimeout) { recorder.syncedCount >= proxies }
        let times = recorder.syncTimes
        return LoadReport.Reconnect(
            resynced: times.count, seconds: times.count == proxies ? times.max().map { Self.seconds($0 - start) } : nil,
            resourcesResent: recorder.counters.resources.reduce(0, +) - resourcesBefore,
            unchangedResent: options.mode == "delta" ? recorder.counters.unchangedResent - unchangedBefore : nil,
            serverRSSAfterMB: target.pid.flatMap(ProcessStats.read).map { Double($0.rssBytes) / 1_048_576 })
    }

    /// Polls `done` every 10 ms until it holds or the time runs out; also stops early when the server's RSS
    /// passes `--max-server-rss-mb` (checked every 500 ms), so a run never pushes the machine into swap or OOM.
    private func waitUntil(timeout seconds: Double, _ done: () -> Bool) async {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var polls = 0
        while ContinuousClock.now < deadline, !done() {
            polls += 1
            if polls % 50 == 0, let pid = target.pid, let stats = ProcessStats.read(pid: pid),
                stats.rssBytes > options.maxServerRssMb * 1_048_576
            {
                RSSGuard.tripped.withLock { $0 = stats.rssBytes }
                return
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Set when a wait stopped because the server's memory passed the limit.
enum RSSGuard {
    static let tripped = Mutex<Int?>(nil)
}

/// Both values, or nil.
func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
