import EnvoyAPI
import Logging
import Synchronization
import Testing
import XDSClient
import XDSServer

/// Records every xDS event.
final class EventLog: XDSEventObserver, Sendable {
    private let events = Mutex<[XDSEvent]>([])
    func observe(_ event: XDSEvent) { events.withLock { $0.append(event) } }

    /// Pushes evaluated on the stream of `proxy`.
    func pushesEvaluated(_ proxy: String) -> Int {
        events.withLock { $0.filter { if case .pushEvaluated(proxy, _, _, _) = $0 { true } else { false } }.count }
    }
}

/// A write that records responses and can be held shut: while closed it waits (as a write to a proxy that
/// stopped reading does), honouring cancellation.
final class GatedWriter<Response: Sendable>: Sendable {
    private let state = Mutex<(open: Bool, written: [Response])>((true, []))
    let (writes, writesContinuation) = AsyncStream.makeStream(of: Response.self)

    func close() { state.withLock { $0.open = false } }
    func open() { state.withLock { $0.open = true } }

    func write(_ response: Response) async throws {
        while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(5)) }
        state.withLock { $0.written.append(response) }
        writesContinuation.yield(response)
    }
}

/// A proxy that stops reading never delays the others; its pending pushes merge into one; a write stuck past
/// the send timeout closes its stream.
@Suite("Backpressure")
struct DeltaBackpressureTests {
    let cds = XDSType.cluster.rawValue

    @Test func aStuckProxyDoesNotDelayOthersAndItsPushesMergeIntoOne() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "0"])
        let log = EventLog()
        let ads = ADSServer(
            provider: provider, observer: log, options: ADSServerOptions(pushConcurrency: 1, sendTimeout: nil),
            logger: Logger(label: "test"))
        let stuck = GatedWriter<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>()
        let healthy = GatedWriter<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>()
        let (stuckRequests, stuckIn) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.self)
        let (healthyRequests, healthyIn) = AsyncStream.makeStream(
            of: Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ads.serveDelta(requests: stuckRequests, peer: PeerInfo(remotePeer: "stuck")) {
                    try await stuck.write($0.message)
                }
            }
            group.addTask {
                try await ads.serveDelta(requests: healthyRequests, peer: PeerInfo(remotePeer: "ok")) {
                    try await healthy.write($0.message)
                }
            }
            var stuckWrites = stuck.writes.makeAsyncIterator()
            var healthyWrites = healthy.writes.makeAsyncIterator()
            stuckIn.yield(.make(type: cds, node: node("stuck")))
            healthyIn.yield(.make(type: cds, node: node("healthy")))
            _ = await stuckWrites.next()
            _ = await healthyWrites.next()

            stuck.close()
            for value in 1...50 {
                provider.set(.cluster, ["a": "\(value)"])
                ads.pushAll()
                let pushed = await healthyWrites.next()
                #expect(
                    pushed?.resources.first?.version == (try resource("a", "\(value)")).version,
                    "the healthy proxy gets every push")
            }
            stuck.open()
            // The stuck write holds whatever content its push read when it started (1 unless the machine was slow to
            // schedule it); after it, at most one more push brings the latest content.
            let versions = try (1...50).map { try resource("a", "\($0)").version }
            let unblocked = await stuckWrites.next()
            let unblockedValue = versions.firstIndex(of: unblocked?.resources.first?.version ?? "").map { $0 + 1 }
            #expect(unblockedValue != nil, "the write that was stuck completes with content of this run")
            if unblockedValue != 50 {
                let merged = await stuckWrites.next()
                #expect(merged?.resources.first?.version == versions[49], "then one push brings the latest content")
            }
            provider.set(.cluster, ["a": "final"])
            ads.pushAll()
            let final = await stuckWrites.next()
            #expect(
                final?.resources.first?.version == (try resource("a", "final")).version,
                "no stale push was queued in between")
            _ = await healthyWrites.next()
            #expect(
                log.pushesEvaluated("stuck") <= 3,
                "50 pushes while stuck were merged, not queued (evaluated \(log.pushesEvaluated("stuck")))")
            #expect(log.pushesEvaluated("healthy") >= 50)
            stuckIn.finish()
            healthyIn.finish()
            try await group.waitForAll()
        }
    }

    @Test func aWriteStuckPastTheSendTimeoutClosesThatStreamOnly() async throws {
        let provider = SettableProvider()
        provider.set(.cluster, ["a": "0"])
        let ads = ADSServer(
            provider: provider, options: ADSServerOptions(sendTimeout: .milliseconds(200)),
            logger: Logger(label: "test"))
        let stuck = GatedWriter<Envoy_Service_Discovery_V3_DiscoveryResponse>()
        let (requests, requestsIn) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryRequest.self)
        stuck.close()
        requestsIn.yield(.make(type: cds, node: node("stuck")))
        await #expect(throws: XDSStreamError.self) {
            try await ads.serveSotW(requests: requests, peer: PeerInfo(remotePeer: "stuck")) {
                try await stuck.write($0.message)
            }
        }
        #expect(ads.connectionCount == 0, "the closed stream is unregistered")
        requestsIn.finish()
    }
}
