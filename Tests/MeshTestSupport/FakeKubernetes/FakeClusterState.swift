import Foundation

/// The fake API server's data: objects per resource, the global resourceVersion, the event log that watches replay,
/// the open watches, and counters. Only touched under `FakeKubernetes`'s lock.
struct FakeClusterState {
    /// Objects as JSON text, by resource and `namespace/name`.
    var objects: [FakeResource: [String: String]] = [:]
    /// The last resourceVersion handed out; every write increments it (one counter for all kinds, as etcd's revision).
    var resourceVersion = 1000
    /// Events newer than `compactedThrough`, oldest first.
    var events: [FakeWatchEvent] = []
    /// Watches from a resourceVersion at or below this get `410 Gone`.
    var compactedThrough = 0
    var watchers: [Int: Watcher] = [:]
    var nextWatcher = 0
    /// Snapshots behind continue tokens, as a real server serves later pages from the first page's revision.
    var continuations: [String: Continuation] = [:]
    var uninstalledCRDs: Set<String> = []
    /// Counters per collection path: full LISTs (first pages), continued pages, and watches opened.
    var listCalls: [String: Int] = [:]
    var continuedListCalls: [String: Int] = [:]
    var watchCalls: [String: Int] = [:]
    var tokens: [String: FakeToken] = [:]
    /// Injected failures by collection path, and how many responses they made.
    var faults: [String: FakeFault] = [:]
    var faultyResponses = 0
    var tokenReviews = 0
    /// Every create, update and delete answered, oldest first.
    var writes: [FakeWrite] = []
    var refusals: Set<FakeRefusal> = []
    /// Webhook Services' local ports (`namespace/name:port`), and the calls made to each webhook.
    var serviceRoutes: [String: Int] = [:]
    var admissionCalls: [String: Int] = [:]

    /// An open watch: which collection it follows and where its lines go.
    struct Watcher {
        var resource: FakeResource
        var namespace: String?
        var fieldSelector: String?
        var continuation: AsyncStream<String>.Continuation
    }

    /// The rest of a chunked LIST.
    struct Continuation {
        var resourceVersion: Int
        var remaining: [String]
    }

    mutating func nextVersion() -> Int {
        resourceVersion += 1
        return resourceVersion
    }

    /// Records a change and sends it to the watches that follow its collection.
    mutating func record(_ event: FakeWatchEvent) {
        events.append(event)
        for watcher in watchers.values where watcher.resource == event.resource {
            if let namespace = watcher.namespace, namespace != event.namespace { continue }
            if !Self.matches(event.object, fieldSelector: watcher.fieldSelector) { continue }
            watcher.continuation.yield(event.line)
        }
    }

    /// Whether an object matches a `field=value[,field=value]` selector, reading dotted paths such as `type` or
    /// `metadata.name`. `!=` is supported too.
    static func matches(_ json: String, fieldSelector: String?) -> Bool {
        guard let fieldSelector, !fieldSelector.isEmpty else { return true }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            return false
        }
        for term in fieldSelector.split(separator: ",") {
            let negated = term.contains("!=")
            let parts = term.components(separatedBy: negated ? "!=" : "=").filter { !$0.isEmpty }
            guard parts.count == 2 else { return false }
            var value: Any? = object
            for key in parts[0].split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
            let actual = value as? String ?? ""
            if (actual == parts[1]) == negated { return false }
        }
        return true
    }
}

/// A service-account token the fake's TokenReview accepts.
public struct FakeToken: Sendable, Hashable {
    public var namespace: String
    public var serviceAccount: String
    public var audiences: [String]
    public var podName: String?

    public init(namespace: String, serviceAccount: String, audiences: [String] = ["istio-ca"], podName: String? = nil) {
        self.namespace = namespace
        self.serviceAccount = serviceAccount
        self.audiences = audiences
        self.podName = podName
    }

    public var username: String { "system:serviceaccount:\(namespace):\(serviceAccount)" }
}
