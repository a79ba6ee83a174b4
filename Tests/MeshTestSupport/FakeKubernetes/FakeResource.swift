/// One resource type the fake API server serves: its URL, whether it is namespaced and whether it is a CRD.
public struct FakeResource: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var namespaced: Bool
    /// A custom resource: served only while its CRD is installed; its list items carry `apiVersion` and `kind`
    /// (built-in kinds' list items do not, as on a real server).
    public var isCustom: Bool

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var collectionPath: String {
        group.isEmpty ? "/api/\(version)/\(plural)" : "/apis/\(group)/\(version)/\(plural)"
    }
    /// Whether the server keeps `metadata.generation` (1 on create, +1 when anything but metadata and status
    /// changes): custom resources, and the built-in kinds whose strategy does so among those the fake serves (the
    /// webhook configurations).
    public var tracksGeneration: Bool { isCustom || group == "admissionregistration.k8s.io" }
    /// The CRD name, such as `virtualservices.networking.istio.io`.
    public var crdName: String { "\(plural).\(group)" }

    static func core(_ kind: String, _ plural: String, namespaced: Bool = true) -> Self {
        Self(group: "", version: "v1", kind: kind, plural: plural, namespaced: namespaced, isCustom: false)
    }

    static func istio(_ group: String, _ kind: String) -> Self {
        Self(group: group, version: "v1", kind: kind, plural: plural(of: kind), namespaced: true, isCustom: true)
    }

    /// Everything the fake knows how to serve.
    public static let all: [FakeResource] = [
        .core("Namespace", "namespaces", namespaced: false), .core("Node", "nodes", namespaced: false),
        .core("Service", "services"), .core("Pod", "pods"),
        .core("Secret", "secrets"), .core("Endpoints", "endpoints"), .core("ConfigMap", "configmaps"),
        Self(
            group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true,
            isCustom: false),
        .istio("networking.istio.io", "VirtualService"), .istio("networking.istio.io", "DestinationRule"),
        .istio("networking.istio.io", "Gateway"), .istio("networking.istio.io", "ServiceEntry"),
        .istio("networking.istio.io", "WorkloadEntry"), .istio("networking.istio.io", "WorkloadGroup"),
        .istio("networking.istio.io", "Sidecar"),
        .istio("security.istio.io", "PeerAuthentication"), .istio("security.istio.io", "AuthorizationPolicy"),
        .istio("security.istio.io", "RequestAuthentication"),
        Self(
            group: "networking.istio.io", version: "v1alpha3", kind: "EnvoyFilter", plural: "envoyfilters",
            namespaced: true, isCustom: true),
        Self(
            group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true,
            isCustom: false),
        Self(
            group: "admissionregistration.k8s.io", version: "v1", kind: "MutatingWebhookConfiguration",
            plural: "mutatingwebhookconfigurations", namespaced: false, isCustom: false),
        Self(
            group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration",
            plural: "validatingwebhookconfigurations", namespaced: false, isCustom: false),
    ]

    /// The resource of an object's `kind` (the API group is implied: the fake serves one version per kind).
    public static func forKind(_ kind: String) -> FakeResource? { all.first { $0.kind == kind } }

    /// The resource of a collection path, ignoring a `/namespaces/<ns>/` segment.
    static func forPath(_ path: String) -> (FakeResource, namespace: String?)? {
        var parts = path.split(separator: "/").map(String.init)
        var namespace: String?
        if let index = parts.firstIndex(of: "namespaces"), index + 2 < parts.count {
            namespace = parts[index + 1]
            parts.removeSubrange(index...(index + 1))
        }
        let collection = "/" + parts.joined(separator: "/")
        return all.first { $0.collectionPath == collection }.map { ($0, namespace) }
    }

    /// The lower-case plural the API uses for a kind: `ServiceEntry` → `serviceentries`, `Gateway` → `gateways`.
    static func plural(of kind: String) -> String {
        let lower = kind.lowercased()
        if lower.hasSuffix("y"), let last = lower.dropLast().last, !"aeiou".contains(last) {
            return lower.dropLast() + "ies"
        }
        return lower + "s"
    }
}
