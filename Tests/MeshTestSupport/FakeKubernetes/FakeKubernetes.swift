import Foundation
import Synchronization

/// A fake Kubernetes API server for tests: the list/watch protocol (resourceVersions, chunked LIST with `continue`,
/// streamed WATCH with bookmarks, `410 Gone` after compaction), 404 for uninstalled CRDs, and TokenReview.
///
/// It is a fake, written from the public API reference; it is not kube-apiserver. Thread-safe: all state sits
/// behind one lock. Serve it with `serving(port:_:)`; the state outlives serving, so a test can start meshd while
/// the server is down and bring it up later on the same port.
public final class FakeKubernetes: Sendable {
    let state = Mutex(FakeClusterState())

    public init() {}

    /// Errors from the fake's own API (bad seed JSON), not from the HTTP protocol.
    public struct SeedError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates an object from its JSON (as `kubectl apply` would send it). The server fills in `uid`,
    /// `resourceVersion`, `creationTimestamp` (and `generation` for custom resources). Returns the new
    /// resourceVersion. Creating an existing object replaces it (as a MODIFIED event).
    @discardableResult
    public func apply(_ json: String) throws -> Int {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let kind = object["kind"] as? String, let resource = FakeResource.forKind(kind),
            var metadata = object["metadata"] as? [String: Any], let name = metadata["name"] as? String
        else { throw SeedError(description: "not an object with kind and metadata.name: \(json.prefix(200))") }
        let namespace = resource.namespaced ? (metadata["namespace"] as? String ?? "default") : ""
        if resource.namespaced { metadata["namespace"] = namespace }
        object["apiVersion"] = resource.apiVersion
        return state.withLock { state in
            let key = "\(namespace)/\(name)"
            let previous = state.objects[resource]?[key].flatMap(Self.parse)
            let previousMeta = previous?["metadata"] as? [String: Any]
            let version = state.nextVersion()
            metadata["uid"] = previousMeta?["uid"] ?? UUID().uuidString.lowercased()
            metadata["creationTimestamp"] = previousMeta?["creationTimestamp"] ?? Self.timestamp()
            metadata["resourceVersion"] = "\(version)"
            if resource.tracksGeneration {
                metadata["generation"] = ((previousMeta?["generation"] as? Int) ?? 0) + 1
            }
            object["metadata"] = metadata
            let text = Self.serialize(object)
            state.objects[resource, default: [:]][key] = text
            state.record(
                FakeWatchEvent(
                    resourceVersion: version, resource: resource, type: previous == nil ? "ADDED" : "MODIFIED",
                    object: text, namespace: namespace))
            return version
        }
    }

    /// Deletes an object; returns false when it did not exist.
    @discardableResult
    public func delete(kind: String, namespace: String = "default", name: String) -> Bool {
        guard let resource = FakeResource.forKind(kind) else { return false }
        let namespace = resource.namespaced ? namespace : ""
        return state.withLock { state in
            let key = "\(namespace)/\(name)"
            guard let text = state.objects[resource]?.removeValue(forKey: key), var object = Self.parse(text) else {
                return false
            }
            let version = state.nextVersion()
            var metadata = object["metadata"] as? [String: Any] ?? [:]
            metadata["resourceVersion"] = "\(version)"
            object["metadata"] = metadata
            state.record(
                FakeWatchEvent(
                    resourceVersion: version, resource: resource, type: "DELETED", object: Self.serialize(object),
                    namespace: namespace))
            return true
        }
    }

    /// Marks a namespace as being deleted, as a DELETE of it does on a real server before its content is gone:
    /// `metadata.deletionTimestamp` set and `status.phase: Terminating` (a MODIFIED event). Creates in it are refused
    /// from then on. Returns false when there is no such namespace.
    @discardableResult
    public func terminate(namespace name: String) -> Bool {
        guard let resource = FakeResource.forKind("Namespace") else { return false }
        return state.withLock { state in
            let key = "/\(name)"
            guard let text = state.objects[resource]?[key], var object = Self.parse(text) else { return false }
            let version = state.nextVersion()
            var metadata = object["metadata"] as? [String: Any] ?? [:]
            metadata["resourceVersion"] = "\(version)"
            metadata["deletionTimestamp"] = Self.timestamp()
            object["metadata"] = metadata
            var status = object["status"] as? [String: Any] ?? [:]
            status["phase"] = "Terminating"
            object["status"] = status
            let next = Self.serialize(object)
            state.objects[resource]?[key] = next
            state.record(
                FakeWatchEvent(
                    resourceVersion: version, resource: resource, type: "MODIFIED", object: next, namespace: ""))
            return true
        }
    }

    /// Whether the namespace `name` exists and is being deleted. Called under the lock.
    static func isTerminating(_ name: String, in state: FakeClusterState) -> Bool {
        guard let resource = FakeResource.forKind("Namespace"), let text = state.objects[resource]?["/\(name)"],
            let object = parse(text)
        else { return false }
        return (object["status"] as? [String: Any])?["phase"] as? String == "Terminating"
    }

    /// Forgets the event history up to now (as etcd compaction does): a watch or a continue token from an older
    /// resourceVersion now gets `410 Gone`.
    public func compact() {
        state.withLock { state in
            state.compactedThrough = state.resourceVersion
            state.events.removeAll()
            state.continuations.removeAll()
        }
    }

    /// Ends every open watch stream, as an API server restart or a load balancer's idle timeout would.
    public func dropWatches() {
        let dropped = state.withLock { state in
            defer { state.watchers.removeAll() }
            return state.watchers.values.map(\.continuation)
        }
        for continuation in dropped { continuation.finish() }
    }

    /// Sends a BOOKMARK with the current resourceVersion on every open watch.
    public func sendBookmarks() {
        state.withLock { state in
            for watcher in state.watchers.values {
                let object: [String: Any] = [
                    "kind": watcher.resource.kind, "apiVersion": watcher.resource.apiVersion,
                    "metadata": ["resourceVersion": "\(state.resourceVersion)"],
                ]
                watcher.continuation.yield("{\"type\":\"BOOKMARK\",\"object\":\(Self.serialize(object))}\n")
            }
        }
    }

    /// Makes a CRD (such as `sidecars.networking.istio.io`) unserved or served again.
    public func setCRD(_ name: String, installed: Bool) {
        state.withLock { state in
            if installed { state.uninstalledCRDs.remove(name) } else { state.uninstalledCRDs.insert(name) }
        }
    }

    /// Registers a token that TokenReview authenticates.
    public func addToken(_ token: String, _ identity: FakeToken) {
        state.withLock { $0.tokens[token] = identity }
    }

    /// How many full LISTs (first pages) of `kind` were served.
    public func listCount(kind: String) -> Int {
        guard let resource = FakeResource.forKind(kind) else { return 0 }
        return state.withLock { $0.listCalls[resource.collectionPath] ?? 0 }
    }

    /// How many continued LIST pages (with a `continue` token) of `kind` were served.
    public func continuedListCount(kind: String) -> Int {
        guard let resource = FakeResource.forKind(kind) else { return 0 }
        return state.withLock { $0.continuedListCalls[resource.collectionPath] ?? 0 }
    }

    /// How many WATCH requests of `kind` were received.
    public func watchCount(kind: String) -> Int {
        guard let resource = FakeResource.forKind(kind) else { return 0 }
        return state.withLock { $0.watchCalls[resource.collectionPath] ?? 0 }
    }

    /// How many watch streams are open now.
    public var openWatches: Int { state.withLock { $0.watchers.count } }

    /// How many TokenReviews were answered.
    public var tokenReviewCount: Int { state.withLock { $0.tokenReviews } }

    static func parse(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    static func serialize(_ object: [String: Any]) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
