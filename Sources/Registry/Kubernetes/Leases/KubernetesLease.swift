public import Foundation

/// A `coordination.k8s.io/v1` Lease, the fields meshd reads and writes: the holder, the lease duration, when it was
/// acquired and last renewed, how often it changed hands, and labels and annotations (the replica registry keeps
/// each replica's addresses in an annotation). A value; `resourceVersion` makes an update conditional.
public struct KubernetesLease: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// Empty for an object not yet created; an update sends it back, and the server refuses it (409) when stale.
    public var resourceVersion: String = ""
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]
    /// `spec.holderIdentity`; nil or empty when released.
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int?
    public var acquireTime: Date?
    public var renewTime: Date?
    public var leaseTransitions: Int?

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The API group and version, and the collection path of a namespace's Leases.
    public static let apiVersion = "coordination.k8s.io/v1"
    public static func collectionPath(namespace: String) -> String {
        "/apis/coordination.k8s.io/v1/namespaces/\(namespace)/leases"
    }
    public var path: String { "\(Self.collectionPath(namespace: namespace))/\(name)" }

    /// Whether the lease has a holder whose last renewal (by its own clock, as written) is less than its duration
    /// before `now`. Used where nothing was observed over time (`meshd proxy-status`, the registry listing); the
    /// election itself judges expiry by when it saw the lease change, as client-go does.
    public func isHeld(at now: Date) -> Bool {
        guard let holder = holderIdentity, !holder.isEmpty, let renewTime, let duration = leaseDurationSeconds else {
            return false
        }
        return renewTime.addingTimeInterval(TimeInterval(duration)) > now
    }

    /// The JSON an API server takes on create and update.
    public func json() -> Data {
        var metadata: [String: Any] = ["name": name, "namespace": namespace]
        if !resourceVersion.isEmpty { metadata["resourceVersion"] = resourceVersion }
        if !labels.isEmpty { metadata["labels"] = labels }
        if !annotations.isEmpty { metadata["annotations"] = annotations }
        var spec: [String: Any] = [:]
        if let holderIdentity { spec["holderIdentity"] = holderIdentity }
        if let leaseDurationSeconds { spec["leaseDurationSeconds"] = leaseDurationSeconds }
        if let acquireTime { spec["acquireTime"] = MicroTime.format(acquireTime) }
        if let renewTime { spec["renewTime"] = MicroTime.format(renewTime) }
        if let leaseTransitions { spec["leaseTransitions"] = leaseTransitions }
        let object: [String: Any] = [
            "apiVersion": Self.apiVersion, "kind": "Lease", "metadata": metadata, "spec": spec,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// Reads a Lease as the API server sends it. Throws `KubernetesError.malformed` naming the field when the
    /// shape is wrong; never traps.
    public init(json data: Data) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw KubernetesError.malformed("Lease: not a JSON object")
        }
        try self.init(object: object)
    }

    init(object: [String: Any]) throws {
        guard let metadata = object["metadata"] as? [String: Any], let name = metadata["name"] as? String,
            !name.isEmpty
        else { throw KubernetesError.malformed("Lease: metadata.name is missing") }
        namespace = metadata["namespace"] as? String ?? ""
        self.name = name
        let what = "Lease \(namespace)/\(name)"
        resourceVersion = metadata["resourceVersion"] as? String ?? ""
        labels = metadata["labels"] as? [String: String] ?? [:]
        annotations = metadata["annotations"] as? [String: String] ?? [:]
        let spec = object["spec"] as? [String: Any] ?? [:]
        if let value = spec["holderIdentity"], !(value is NSNull) {
            guard let holder = value as? String else {
                throw KubernetesError.malformed("\(what): spec.holderIdentity is not a string")
            }
            holderIdentity = holder
        }
        leaseDurationSeconds = try Self.integer(spec["leaseDurationSeconds"], "\(what): spec.leaseDurationSeconds")
        leaseTransitions = try Self.integer(spec["leaseTransitions"], "\(what): spec.leaseTransitions")
        acquireTime = try Self.time(spec["acquireTime"], "\(what): spec.acquireTime")
        renewTime = try Self.time(spec["renewTime"], "\(what): spec.renewTime")
    }

    static func integer(_ value: Any?, _ field: String) throws -> Int? {
        guard let value, !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded(),
            abs(number.doubleValue) < 1e15
        else { throw KubernetesError.malformed("\(field): not an integer") }
        return number.intValue
    }

    static func time(_ value: Any?, _ field: String) throws -> Date? {
        guard let value, !(value is NSNull) else { return nil }
        guard let text = value as? String, let date = MicroTime.parse(text) else {
            throw KubernetesError.malformed("\(field): not an RFC 3339 time")
        }
        return date
    }
}
