import Foundation
import Hummingbird
import NIOCore

extension FakeKubernetes {
    /// WATCH: a chunked stream of JSON lines. Replays the logged events after `from`, then streams new ones until
    /// `timeout` seconds pass or `dropWatches()` ends it. A `from` older than the compaction point gets one `ERROR`
    /// event carrying a 410 Status, as the real server sends (with HTTP 200). `from` empty or `0` starts with
    /// synthetic ADDED events for every current object.
    func watch(
        _ resource: FakeResource, namespace: String?, from: String, fieldSelector: String?, timeout: Int
    ) -> Response {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let registered = state.withLock { state -> Bool in
            state.watchCalls[resource.collectionPath, default: 0] += 1
            let start = Int(from) ?? 0
            if start != 0, start < state.compactedThrough {
                let status: [String: Any] = [
                    "kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure",
                    "message": "too old resource version: \(start) (\(state.compactedThrough))", "reason": "Expired",
                    "code": 410,
                ]
                continuation.yield("{\"type\":\"ERROR\",\"object\":\(Self.serialize(status))}\n")
                return false
            }
            if start == 0 {
                for (key, text) in (state.objects[resource] ?? [:]).sorted(by: { $0.key < $1.key })
                where namespace == nil || key.hasPrefix("\(namespace ?? "")/") {
                    guard FakeClusterState.matches(text, fieldSelector: fieldSelector) else { continue }
                    continuation.yield("{\"type\":\"ADDED\",\"object\":\(text)}\n")
                }
            } else {
                for event in state.events where event.resource == resource && event.resourceVersion > start {
                    if let namespace, namespace != event.namespace { continue }
                    guard FakeClusterState.matches(event.object, fieldSelector: fieldSelector) else { continue }
                    continuation.yield(event.line)
                }
            }
            state.nextWatcher += 1
            let id = state.nextWatcher
            state.watchers[id] = .init(
                resource: resource, namespace: namespace, fieldSelector: fieldSelector, continuation: continuation)
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { state in _ = state.watchers.removeValue(forKey: id) }
            }
            return true
        }
        if !registered { continuation.finish() }
        let body = ResponseBody { writer in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await Task.sleep(for: .seconds(timeout))
                    continuation.finish()
                }
                do {
                    for await line in stream { try await writer.write(ByteBuffer(string: line)) }
                } catch {
                    continuation.finish()
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }
}
