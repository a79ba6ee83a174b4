import Foundation
import HTTPTypes
import Hummingbird

/// One write the fake answered (or refused), for tests that check who wrote what and when.
public struct FakeWrite: Sendable {
    /// When the fake handled it, on the monotonic clock.
    public var at: ContinuousClock.Instant
    public var method: String
    public var path: String
    /// The client's `User-Agent` (meshd replicas send `meshd/<id>`).
    public var userAgent: String
    /// The HTTP status answered.
    public var code: Int
    /// For a Lease, `spec.holderIdentity` after the write.
    public var holder: String?
    /// The object written (for a create, the name in the body; the path is the collection's).
    public var name: String?
}

/// Where an object request points: the resource, the namespace (empty for cluster-scoped kinds), the name (nil for
/// the collection) and the subresource (`status`).
struct FakeObjectPath {
    var resource: FakeResource
    var namespace: String
    var name: String?
    var subresource: String?

    /// Parses `/api/v1/namespaces/<ns>/<plural>[/<name>[/<sub>]]`, `/apis/<group>/<version>/...` and the
    /// cluster-scoped forms.
    init?(_ path: String) {
        let parts = path.split(separator: "/").map(String.init)
        for resource in FakeResource.all {
            let prefix =
                resource.group.isEmpty ? ["api", resource.version] : ["apis", resource.group, resource.version]
            guard parts.count > prefix.count, Array(parts[..<prefix.count]) == prefix else { continue }
            let rest = Array(parts[prefix.count...])
            if resource.namespaced {
                guard rest.count >= 3, rest.count <= 5, rest[0] == "namespaces", rest[2] == resource.plural else {
                    continue
                }
                self.init(
                    resource: resource, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                    subresource: rest.count > 4 ? rest[4] : nil)
                return
            }
            guard rest.count >= 1, rest.count <= 3, rest[0] == resource.plural,
                resource.plural != "namespaces" || rest.count <= 2
            else { continue }
            self.init(
                resource: resource, namespace: "", name: rest.count > 1 ? rest[1] : nil,
                subresource: rest.count > 2 ? rest[2] : nil)
            return
        }
        return nil
    }

    init(resource: FakeResource, namespace: String, name: String?, subresource: String?) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
    }

    var key: String { "\(namespace)/\(name ?? "")" }

    /// `leases.coordination.k8s.io "x"`, as the server's messages name an object.
    var qualified: String {
        let group = resource.group.isEmpty ? resource.plural : "\(resource.plural).\(resource.group)"
        return "\(group) \"\(name ?? "")\""
    }
}

extension FakeKubernetes {
    /// The writes answered so far, oldest first.
    public var writes: [FakeWrite] { state.withLock { $0.writes } }

    /// The stored JSON of one object, nil when there is none.
    public func object(kind: String, namespace: String = "default", name: String) -> String? {
        guard let resource = FakeResource.forKind(kind) else { return nil }
        let namespace = resource.namespaced ? namespace : ""
        return state.withLock { $0.objects[resource]?["\(namespace)/\(name)"] }
    }

    /// While `refused`, every request for `kind` from `userAgent` is answered 503, as if that client were cut off
    /// from the server (a partitioned replica).
    public func refuse(kind: String, userAgent: String, _ refused: Bool = true) {
        guard let resource = FakeResource.forKind(kind) else { return }
        state.withLock { state in
            if refused {
                state.refusals.insert(FakeRefusal(collectionPath: resource.collectionPath, userAgent: userAgent))
            } else {
                state.refusals.remove(FakeRefusal(collectionPath: resource.collectionPath, userAgent: userAgent))
            }
        }
    }

    /// A 503 for a refused client, logged as a write unless it is a read.
    func refusal(_ target: FakeObjectPath, method: String, path: String, userAgent: String) -> Response? {
        let refused = state.withLock { state -> Bool in
            guard
                state.refusals.contains(
                    FakeRefusal(collectionPath: target.resource.collectionPath, userAgent: userAgent))
            else { return false }
            if method != "GET" {
                state.writes.append(
                    FakeWrite(
                        at: .now, method: method, path: path, userAgent: userAgent, code: 503, holder: nil,
                        name: target.name))
            }
            return true
        }
        return refused ? Self.status(503, reason: "ServiceUnavailable", "injected: \(userAgent) is cut off") : nil
    }

    /// GET of one object.
    func getObject(_ target: FakeObjectPath) -> Response {
        guard target.subresource == nil || target.subresource == "status" else {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
        guard let text = state.withLock({ $0.objects[target.resource]?[target.key] }) else {
            return notFound(target)
        }
        return Self.json(text)
    }

    func notFound(_ target: FakeObjectPath) -> Response {
        Self.status(404, reason: "NotFound", "\(target.qualified) not found")
    }

    /// POST on a collection: creates the object, or 409 AlreadyExists. For custom resources `status` is dropped
    /// (their status subresource is enabled) and `generation` starts at 1.
    func create(_ target: FakeObjectPath, body: Data, userAgent: String, path: String) async -> Response {
        guard target.name == nil else {
            return Self.status(405, reason: "MethodNotAllowed", "POST is for collections")
        }
        guard var object = Self.parse(String(decoding: body, as: UTF8.self)) else {
            return Self.status(400, reason: "BadRequest", "the body is not a JSON object")
        }
        if let kind = object["kind"] as? String, kind != target.resource.kind {
            return Self.status(400, reason: "BadRequest", "kind \(kind) posted to \(target.resource.plural)")
        }
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        guard let name = metadata["name"] as? String, !name.isEmpty else {
            return Self.status(
                422, reason: "Invalid", "\(target.resource.kind) is invalid: metadata.name: Required value")
        }
        if let namespace = metadata["namespace"] as? String, target.resource.namespaced, namespace != target.namespace {
            return Self.status(
                400, reason: "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request")
        }
        // The request's namespace goes into the object first (EnsureObjectNamespaceMatchesRequestNamespace), then
        // the mutating and validating admission webhooks run, before anything is stored.
        if target.resource.namespaced {
            metadata["namespace"] = target.namespace
            object["metadata"] = metadata
        }
        switch await admit(object, target: target, operation: "CREATE") {
        case .refused(let response): return response
        case .admitted(let admitted):
            object = admitted
            metadata = object["metadata"] as? [String: Any] ?? metadata
        }
        var named = target
        named.name = name
        return state.withLock { state -> Response in
            func logged(_ code: Int, holder: String? = nil) {
                state.writes.append(
                    FakeWrite(
                        at: .now, method: "POST", path: path, userAgent: userAgent, code: code, holder: holder,
                        name: name))
            }
            if state.objects[target.resource]?[named.key] != nil {
                logged(409)
                return Self.status(409, reason: "AlreadyExists", "\(named.qualified) already exists")
            }
            // The NamespaceLifecycle admission plugin: nothing new in a namespace being deleted.
            if target.resource.namespaced, Self.isTerminating(target.namespace, in: state) {
                logged(403)
                return Self.status(
                    403, reason: "Forbidden",
                    "\(target.resource.plural) \"\(name)\" is forbidden: unable to create new content in namespace "
                        + "\(target.namespace) because it is being terminated",
                    details: [
                        "name": name, "kind": target.resource.plural,
                        "causes": [
                            [
                                "reason": "NamespaceTerminating", "field": "metadata.namespace",
                                "message": "namespace \(target.namespace) is being terminated",
                            ]
                        ],
                    ])
            }
            let version = state.nextVersion()
            if target.resource.namespaced { metadata["namespace"] = target.namespace }
            metadata["uid"] = UUID().uuidString.lowercased()
            metadata["creationTimestamp"] = Self.timestamp()
            metadata["resourceVersion"] = "\(version)"
            if target.resource.tracksGeneration { metadata["generation"] = 1 }
            if target.resource.isCustom { object["status"] = nil }
            object["metadata"] = metadata
            object["apiVersion"] = target.resource.apiVersion
            object["kind"] = target.resource.kind
            let text = Self.serialize(object)
            state.objects[target.resource, default: [:]][named.key] = text
            state.record(
                FakeWatchEvent(
                    resourceVersion: version, resource: target.resource, type: "ADDED", object: text,
                    namespace: target.namespace))
            logged(201, holder: Self.holder(of: object))
            return Self.json(text, status: .created)
        }
    }

    /// PUT of one object or of its `status` (custom resources only): 404 when absent, 409 Conflict when the body's
    /// `metadata.resourceVersion` is set and stale (unset: unconditional). The main resource keeps the stored status
    /// of a custom resource and bumps `generation` when anything else but metadata changed; `status` replaces only
    /// the status. An update that changes nothing keeps the resourceVersion and sends no event.
    func replace(_ target: FakeObjectPath, body: Data, userAgent: String, path: String) async -> Response {
        guard let name = target.name else {
            return Self.status(405, reason: "MethodNotAllowed", "PUT needs an object name")
        }
        let onStatus = target.subresource == "status"
        guard target.subresource == nil || (onStatus && target.resource.isCustom) else {
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
        guard var object = Self.parse(String(decoding: body, as: UTF8.self)) else {
            return Self.status(400, reason: "BadRequest", "the body is not a JSON object")
        }
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        if let bodyName = metadata["name"] as? String, bodyName != name {
            return Self.status(
                400, reason: "BadRequest",
                "the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        // An update of the object itself (not of its status subresource, which `resources: ["*"]` does not match)
        // goes through the admission webhooks, with the stored object as oldObject.
        if !onStatus {
            if target.resource.namespaced {
                metadata["namespace"] = target.namespace
                object["metadata"] = metadata
            }
            let stored = state.withLock { $0.objects[target.resource]?[target.key] }.flatMap(Self.parse)
            if let stored {
                switch await admit(object, target: target, operation: "UPDATE", oldObject: stored) {
                case .refused(let response): return response
                case .admitted(let admitted):
                    object = admitted
                    metadata = object["metadata"] as? [String: Any] ?? metadata
                }
            }
        }
        return state.withLock { state -> Response in
            func logged(_ code: Int, holder: String? = nil) {
                state.writes.append(
                    FakeWrite(
                        at: .now, method: "PUT", path: path, userAgent: userAgent, code: code, holder: holder,
                        name: name))
            }
            guard let storedText = state.objects[target.resource]?[target.key], let stored = Self.parse(storedText),
                let storedMetadata = stored["metadata"] as? [String: Any]
            else {
                logged(404)
                return notFound(target)
            }
            let current = storedMetadata["resourceVersion"] as? String ?? ""
            if let sent = metadata["resourceVersion"] as? String, !sent.isEmpty, sent != current {
                logged(409)
                return Self.status(
                    409, reason: "Conflict",
                    "Operation cannot be fulfilled on \(target.qualified): the object has been modified; "
                        + "please apply your changes to the latest version and try again")
            }
            var next: [String: Any]
            if onStatus {
                next = stored
                next["status"] = object["status"]
            } else {
                for field in ["uid", "creationTimestamp", "generation"] { metadata[field] = storedMetadata[field] }
                if target.resource.namespaced { metadata["namespace"] = target.namespace }
                metadata["name"] = name
                object["metadata"] = metadata
                object["apiVersion"] = target.resource.apiVersion
                object["kind"] = target.resource.kind
                if target.resource.isCustom { object["status"] = stored["status"] }
                next = object
            }
            var unchanged = next
            var unchangedMetadata = unchanged["metadata"] as? [String: Any] ?? [:]
            unchangedMetadata["resourceVersion"] = current
            unchanged["metadata"] = unchangedMetadata
            if Self.serialize(unchanged) == storedText {
                logged(200, holder: Self.holder(of: stored))
                return Self.json(storedText)
            }
            var nextMetadata = next["metadata"] as? [String: Any] ?? [:]
            if target.resource.tracksGeneration, !onStatus, Self.content(of: next) != Self.content(of: stored) {
                nextMetadata["generation"] = ((storedMetadata["generation"] as? Int) ?? 0) + 1
            }
            let version = state.nextVersion()
            nextMetadata["resourceVersion"] = "\(version)"
            next["metadata"] = nextMetadata
            let text = Self.serialize(next)
            state.objects[target.resource, default: [:]][target.key] = text
            state.record(
                FakeWatchEvent(
                    resourceVersion: version, resource: target.resource, type: "MODIFIED", object: text,
                    namespace: target.namespace))
            logged(200, holder: Self.holder(of: next))
            return Self.json(text)
        }
    }

    /// DELETE of one object: answers the object as it was, or 404. A `DeleteOptions` body's
    /// `preconditions.resourceVersion` must match the object's, or the answer is 409 Conflict, as on a real server.
    func deleteObject(_ target: FakeObjectPath, userAgent: String, path: String, options: Data = Data()) -> Response {
        guard target.name != nil, target.subresource == nil else {
            return Self.status(405, reason: "MethodNotAllowed", "DELETE needs an object name")
        }
        let precondition = (Self.parse(String(decoding: options, as: UTF8.self))?["preconditions"] as? [String: Any])?[
            "resourceVersion"] as? String
        return state.withLock { state -> Response in
            if let precondition, let current = state.objects[target.resource]?[target.key].flatMap(Self.parse),
                let version = (current["metadata"] as? [String: Any])?["resourceVersion"] as? String,
                version != precondition
            {
                state.writes.append(
                    FakeWrite(
                        at: .now, method: "DELETE", path: path, userAgent: userAgent, code: 409, holder: nil,
                        name: target.name))
                return Self.status(
                    409, reason: "Conflict",
                    "Operation cannot be fulfilled on \(target.resource.plural) \"\(target.name ?? "")\": "
                        + "Precondition failed: ResourceVersion in precondition: \(precondition), "
                        + "ResourceVersion in object meta: \(version)")
            }
            guard let text = state.objects[target.resource]?.removeValue(forKey: target.key),
                var object = Self.parse(text)
            else {
                state.writes.append(
                    FakeWrite(
                        at: .now, method: "DELETE", path: path, userAgent: userAgent, code: 404, holder: nil,
                        name: target.name))
                return notFound(target)
            }
            let version = state.nextVersion()
            var metadata = object["metadata"] as? [String: Any] ?? [:]
            metadata["resourceVersion"] = "\(version)"
            object["metadata"] = metadata
            let deleted = Self.serialize(object)
            state.record(
                FakeWatchEvent(
                    resourceVersion: version, resource: target.resource, type: "DELETED", object: deleted,
                    namespace: target.namespace))
            state.writes.append(
                FakeWrite(
                    at: .now, method: "DELETE", path: path, userAgent: userAgent, code: 200, holder: nil,
                    name: target.name))
            return Self.json(deleted)
        }
    }

    /// What `generation` follows: everything but metadata and status.
    static func content(of object: [String: Any]) -> String {
        var object = object
        object["metadata"] = nil
        object["status"] = nil
        return serialize(object)
    }

    static func holder(of object: [String: Any]) -> String? {
        (object["spec"] as? [String: Any])?["holderIdentity"] as? String
    }
}

/// A client cut off from one collection (`FakeKubernetes.refuse`).
struct FakeRefusal: Hashable {
    var collectionPath: String
    var userAgent: String
}
