import EnvoyAPI
import Foundation
import GRPCCore
import XDSClient

/// One simulated sidecar: its own HTTP/2 connection (its own gRPC client and transport), an ADS stream driven by
/// `ProxySession`, and a reconnect per round until the signal finishes.
struct SimulatedProxy: Sendable {
    let index: Int
    let node: Envoy_Config_Core_V3_Node
    let nacks: Bool
    let address: XDSServerAddress
    let recorder: FleetRecorder
    let names: FollowUpNames
    let signal: RoundSignal
    let recording: ResponseRecording?
    let delta: Bool

    /// Runs rounds until the signal finishes. A session that fails is retried (bounded) within its round.
    func run() async {
        var round = signal.round
        var attempts = 0
        let deltaState = DeltaState(node: node, nacks: nacks)
        while !signal.finished, !Task.isCancelled, attempts < 20 {
            let current = round
            let failure: String? = await withTaskGroup(of: String?.self) { group in
                group.addTask {
                    delta ? await deltaSession(round: current, state: deltaState) : await session(round: current)
                }
                group.addTask {
                    await signal.waitForEnd(of: current)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if signal.round > current {
                round = signal.round
                attempts = 0
            } else if let failure {
                attempts += 1
                recorder.sessionFailed(failure, connecting: true)
                try? await Task.sleep(for: .milliseconds(100 * min(attempts, 10)))
            }
        }
    }

    /// One ADS stream; returns a description of the failure, or nil when it ended because the round did.
    private func session(round: Int) async -> String? {
        do {
            try await XDSClient.withADSStream(to: address) { stream in
                var session = ProxySession(node: node, nacks: nacks)
                for request in session.start() { stream.send(request) }
                var syncedReported = false
                for try await response in stream.responses {
                    guard let kind = XDSKind(typeURL: response.typeURL) else { continue }
                    let (hash, bytes) = FollowUpNames.contentHash(response)
                    let followUp = names.names(for: response, kind: kind, contentHash: hash)
                    for request in session.received(response, kind: kind, contentHash: hash, followUpNames: followUp) {
                        stream.send(request)
                    }
                    recorder.received(
                        proxy: index, kind: kind, contentHash: hash, resources: response.resources.count, bytes: bytes,
                        nacked: nacks && kind == .route)
                    recording?.keep(response, node: node.id, kind: kind, contentHash: hash)
                    if kind == .endpoint, recorder.churn.isActive {
                        recorder.churn.received(
                            proxy: index, assignments: response.resources.lazy.map { [UInt8]($0.value) })
                    }
                    if !syncedReported, session.isSynced {
                        syncedReported = true
                        recorder.synced(proxy: index, round: round)
                    }
                }
                stream.finish()
            }
            return Task.isCancelled ? nil : "stream closed by server"
        } catch {
            if Task.isCancelled || signal.round > round { return nil }
            return SessionErrors.describe(error)
        }
    }
}

extension SimulatedProxy {
    /// What a Delta proxy holds, kept across its reconnects (only its own task touches it).
    final class DeltaState: @unchecked Sendable {
        var session: DeltaProxySession
        init(node: Envoy_Config_Core_V3_Node, nacks: Bool) { session = DeltaProxySession(node: node, nacks: nacks) }
    }

    /// One Delta ADS stream; like `session`, nil when it ended because the round did.
    func deltaSession(round: Int, state: DeltaState) async -> String? {
        do {
            try await XDSClient.withDeltaStream(to: address) { stream in
                for request in state.session.start() { stream.send(request) }
                var syncedReported = false
                for try await response in stream.responses {
                    guard let kind = XDSKind(typeURL: response.typeURL) else { continue }
                    var bytes = 0
                    let (requests, unchanged) = state.session.received(
                        response, kind: kind,
                        hashOf: { resource in
                            bytes += resource.resource.value.count
                            var hasher = Hasher()
                            resource.resource.value.withUnsafeBytes { hasher.combine(bytes: $0) }
                            return hasher.finalize()
                        },
                        followUp: { resource, hash in
                            names.names(forResource: resource.resource.value, kind: kind, contentHash: hash)
                        })
                    for request in requests { stream.send(request) }
                    recorder.unchangedResent(unchanged)
                    if kind == .endpoint, recorder.churn.isActive {
                        recorder.churn.received(
                            proxy: index, assignments: response.resources.lazy.map { [UInt8]($0.resource.value) })
                    }
                    recorder.received(
                        proxy: index, kind: kind, contentHash: state.session.contentHash(kind),
                        resources: response.resources.count, bytes: bytes, nacked: nacks && kind == .route)
                    if !syncedReported, state.session.isSynced {
                        syncedReported = true
                        recorder.synced(proxy: index, round: round)
                    }
                }
                stream.finish()
            }
            return Task.isCancelled ? nil : "stream closed by server"
        } catch {
            if Task.isCancelled || signal.round > round { return nil }
            return SessionErrors.describe(error)
        }
    }
}

/// Turns transport errors into the limit they usually mean.
enum SessionErrors {
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Too many open files") || text.contains("EMFILE") {
            return "out of file descriptors (EMFILE): raise `ulimit -n` (hard limit) or run fewer proxies"
        }
        if text.contains("Cannot assign requested address") || text.contains("EADDRNOTAVAIL") {
            return "out of ephemeral ports (EADDRNOTAVAIL): widen net.ipv4.ip_local_port_range or wait for TIME_WAIT"
        }
        if text.contains("Connection refused") { return "connection refused: is meshd listening?" }
        return String(text.prefix(200))
    }
}
