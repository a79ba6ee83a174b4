import EnvoyAPI
import Foundation
import MeshdReplay
import Synchronization

/// Keeps, per proxy and type, the last response it received, storing each distinct content once, so the
/// replay server can later serve exactly the same pushes. Thread-safe.
final class ResponseRecording: Sendable {
    private struct State {
        var blobs: [Int: Envoy_Service_Discovery_V3_DiscoveryResponse] = [:]
        var index: [String: [String: Int]] = [:]
    }

    private let state = Mutex(State())

    func keep(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse, node: String, kind: XDSKind, contentHash: Int) {
        state.withLock { state in
            if state.blobs[contentHash] == nil { state.blobs[contentHash] = response }
            state.index[node, default: [:]][kind.typeURL] = contentHash
        }
    }

    /// Writes the recording (nonces cleared; the replay server adds fresh ones) in `ReplayRecording`'s layout.
    func write(to directory: URL) throws -> (nodes: Int, blobs: Int) {
        let snapshot = state.withLock { ($0.blobs, $0.index) }
        var recording = ReplayRecording()
        for (hash, response) in snapshot.0 {
            var copy = response
            copy.nonce = ""
            recording.blobs[String(UInt(bitPattern: hash), radix: 16)] = try copy.serializedBytes()
        }
        for (node, types) in snapshot.1 {
            recording.index[node] = types.mapValues { String(UInt(bitPattern: $0), radix: 16) }
        }
        try recording.write(to: directory)
        return (recording.index.count, recording.blobs.count)
    }
}
