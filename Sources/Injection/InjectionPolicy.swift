public import MeshModel

/// Whether a pod gets the sidecar, decided as istiod's injector decides it once the API server has called it (the
/// webhook configuration's namespace and object selectors have already chosen the pods it sees):
///
/// 1. pods with `hostNetwork: true`, and pods in `kube-system` and `kube-public`, never;
/// 2. pods that already carry the `sidecar.istio.io/status` annotation are left as they are;
/// 3. the pod's `sidecar.istio.io/inject` label (or, without the label, the annotation): `true`, `y`, `yes`, `on`
///    inject, any other value does not;
/// 4. with neither (or an empty value): a matching `neverInjectSelector` does not inject, then a matching
///    `alwaysInjectSelector` does (an empty selector matches nothing);
/// 5. otherwise the policy: `enabled` injects, `disabled` does not.
public struct InjectionPolicy: Sendable, Hashable {
    public enum Policy: String, Sendable, Hashable {
        case enabled, disabled
    }

    public enum Decision: Sendable, Hashable {
        case inject
        case skip(String)
    }

    public var policy: Policy = .enabled
    public var alwaysInjectSelector: [LabelSelector] = []
    public var neverInjectSelector: [LabelSelector] = []

    /// Namespaces istiod never injects into.
    public static let ignoredNamespaces: Set<String> = ["kube-system", "kube-public"]
    public static let injectKey = "sidecar.istio.io/inject"

    public init(
        policy: Policy = .enabled, alwaysInjectSelector: [LabelSelector] = [], neverInjectSelector: [LabelSelector] = []
    ) {
        self.policy = policy
        self.alwaysInjectSelector = alwaysInjectSelector
        self.neverInjectSelector = neverInjectSelector
    }

    public func decide(
        namespace: String, labels: [String: String], annotations: [String: String], hostNetwork: Bool
    ) -> Decision {
        if hostNetwork { return .skip("hostNetwork pods share the node's network") }
        if Self.ignoredNamespaces.contains(namespace) { return .skip("namespace \(namespace) is never injected") }
        if annotations[PodTemplateInjection.statusAnnotation] != nil { return .skip("already injected") }
        if let value = labels[Self.injectKey] ?? annotations[Self.injectKey], !value.isEmpty {
            return ["true", "y", "yes", "on"].contains(value.lowercased())
                ? .inject : .skip("\(Self.injectKey) is \"\(value)\"")
        }
        // An empty selector selects nothing here, as in istiod.
        if neverInjectSelector.contains(where: { !$0.isEmpty && $0.matches(labels) }) {
            return .skip("the pod matches neverInjectSelector")
        }
        if alwaysInjectSelector.contains(where: { !$0.isEmpty && $0.matches(labels) }) { return .inject }
        return policy == .enabled ? .inject : .skip("the injection policy is disabled")
    }
}
