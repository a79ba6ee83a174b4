/// Whether an endpoint takes Istio mutual TLS, derived as istiod derives an endpoint's TLS mode. Auto-mTLS sends
/// mesh TLS to a cluster only when every endpoint's mode is `istio`.
///
/// - The label `security.istio.io/tlsMode` wins wherever it is (the sidecar injector puts `istio` on every pod it
///   injects; a VM without a sidecar says `disabled`).
/// - Without it, a Pod (and an EndpointSlice endpoint, through the Pod it targets) is `disabled`: it was not injected.
/// - Without it, a WorkloadEntry (or a ServiceEntry inline endpoint) is `istio` when it names a service account,
///   `disabled` otherwise.
enum EndpointTLSMode {
    static let label = "security.istio.io/tlsMode"
    static let istio = "istio"

    /// A Pod's endpoints, from the Pod's labels.
    static func acceptsMutualTLS(podLabels: [String: String]) -> Bool {
        podLabels[label] == istio
    }

    /// A WorkloadEntry's (or an inline endpoint's) endpoints, from its labels and service account.
    static func acceptsMutualTLS(workloadLabels: [String: String], serviceAccount: String?) -> Bool {
        if let mode = workloadLabels[label] { return mode == istio }
        return !(serviceAccount ?? "").isEmpty
    }
}
