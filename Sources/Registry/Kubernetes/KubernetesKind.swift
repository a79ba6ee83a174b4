/// One kind of object that `KubernetesSource` lists and watches: where it lives in the API and whether meshd models it.
///
/// A value type with no behaviour beyond building paths; the table of kinds is `KubernetesKind.watched`.
public struct KubernetesKind: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core group.
    public var group: String
    public var version: String
    /// The `kind` field of objects, such as `VirtualService`.
    public var kind: String
    /// The lower-case plural resource name in URLs, such as `virtualservices`.
    public var resource: String
    /// True when a missing resource (404 on the list) is expected to be a CRD that is not installed yet.
    public var isCustomResource: Bool
    /// True when `ConfigDecoder` understands the kind; other kinds are watched (for readiness and a single warning)
    /// but kept out of the snapshot.
    public var isModelled: Bool
    /// A `fieldSelector` sent on list and watch, such as `type=kubernetes.io/tls` for Secrets.
    public var fieldSelector: String?
    /// Set to list and watch one namespace only (`/api/v1/namespaces/<ns>/...`), as for the mesh config ConfigMap.
    public var namespace: String?

    public init(
        group: String, version: String, kind: String, resource: String, isCustomResource: Bool, isModelled: Bool,
        fieldSelector: String? = nil
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.resource = resource
        self.isCustomResource = isCustomResource
        self.isModelled = isModelled
        self.fieldSelector = fieldSelector
    }

    /// `v1` or `networking.istio.io/v1`, as in an object's `apiVersion`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The cluster-wide collection path: `/api/v1/services` or `/apis/<group>/<version>/<resource>`.
    public var collectionPath: String {
        let scope = namespace.map { "namespaces/\($0)/" } ?? ""
        return group.isEmpty ? "/api/\(version)/\(scope)\(resource)" : "/apis/\(group)/\(version)/\(scope)\(resource)"
    }

    /// Istio's mesh config: the ConfigMap `istio` in `istio-system`, whose `mesh` key `KubernetesSource` reads
    /// with `MeshConfigDecoder` (not `ConfigDecoder`).
    public static let meshConfigMap: KubernetesKind = {
        var kind = KubernetesKind.core("ConfigMap", "configmaps", modelled: true, fieldSelector: "metadata.name=istio")
        kind.namespace = "istio-system"
        return kind
    }()

    /// True for `meshConfigMap`.
    public var isMeshConfig: Bool { kind == "ConfigMap" && namespace == "istio-system" }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }

    static func core(_ kind: String, _ resource: String, modelled: Bool, fieldSelector: String? = nil) -> Self {
        Self(
            group: "", version: "v1", kind: kind, resource: resource, isCustomResource: false, isModelled: modelled,
            fieldSelector: fieldSelector)
    }

    /// Kinds meshd can run without: Istio's custom resources, Secrets (gateway credentials) and Nodes (locality). A
    /// 404 (no CRD) or a 403 (RBAC does not grant it) on them is a warning, and the kind counts as synced, empty.
    public var isOptional: Bool { isCustomResource || kind == "Secret" || kind == "Node" }

    /// The ClusterRole rule that lets meshd read this kind, as an operator would add it.
    public var rbacRule: String {
        "apiGroups: [\"\(group)\"], resources: [\"\(resource)\"], verbs: [\"get\", \"list\", \"watch\"]"
    }

    static func istio(_ group: String, _ kind: String, modelled: Bool) -> Self {
        Self(
            group: group, version: "v1", kind: kind, resource: plural(of: kind), isCustomResource: true,
            isModelled: modelled)
    }

    /// Every kind meshd watches. Namespaces are watched but not modelled: their labels scope the mesh config's
    /// `discoverySelectors` (`ConfigStore.setNamespaceLabels`), they count towards readiness, and they are
    /// reported once, and they do not reach the snapshot. Secrets are only those of type `kubernetes.io/tls`
    /// (gateway credentials, served over SDS). The mesh config comes from the `istio` ConfigMap of `istio-system`.
    public static let watched: [KubernetesKind] = [
        .core("Namespace", "namespaces", modelled: false),
        .core("Service", "services", modelled: true),
        .core("Pod", "pods", modelled: true),
        // Cluster-scoped; only their labels are kept: they give the pods' locality.
        .core("Node", "nodes", modelled: true),
        .core("Secret", "secrets", modelled: true, fieldSelector: "type=kubernetes.io/tls"),
        Self(
            group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", resource: "endpointslices",
            isCustomResource: false, isModelled: true),
        .istio("networking.istio.io", "VirtualService", modelled: true),
        .istio("networking.istio.io", "DestinationRule", modelled: true),
        .istio("networking.istio.io", "Gateway", modelled: true),
        .istio("networking.istio.io", "ServiceEntry", modelled: true),
        .istio("networking.istio.io", "WorkloadEntry", modelled: true),
        .istio("networking.istio.io", "Sidecar", modelled: true),
        .istio("networking.istio.io", "WorkloadGroup", modelled: true),
        // ProxyConfig is served as v1beta1 only.
        Self(
            group: "networking.istio.io", version: "v1beta1", kind: "ProxyConfig", resource: "proxyconfigs",
            isCustomResource: true, isModelled: true),
        .istio("security.istio.io", "PeerAuthentication", modelled: true),
        .istio("security.istio.io", "AuthorizationPolicy", modelled: true),
        .istio("security.istio.io", "RequestAuthentication", modelled: true),
        .istio("telemetry.istio.io", "Telemetry", modelled: true),
        Self(
            group: "networking.istio.io", version: "v1alpha3", kind: "EnvoyFilter", resource: "envoyfilters",
            isCustomResource: true, isModelled: true),
        meshConfigMap,
    ]

    /// The lower-case plural the API uses for a kind: `ServiceEntry` → `serviceentries`, `Gateway` → `gateways`.
    static func plural(of kind: String) -> String {
        let lower = kind.lowercased()
        if lower.hasSuffix("y"), let last = lower.dropLast().last, !"aeiou".contains(last) {
            return lower.dropLast() + "ies"
        }
        return lower + "s"
    }
}
