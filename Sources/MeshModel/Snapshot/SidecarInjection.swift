/// Whether a workload runs a sidecar. meshd does not inject sidecars; it assumes every Pod and WorkloadEntry
/// has one, as a namespace with injection enabled would, unless the workload opts out the way Istio's injector
/// is told to skip it.
enum SidecarInjection {
    static let key = "sidecar.istio.io/inject"

    /// True when a label or annotation `sidecar.istio.io/inject` says "false".
    static func optedOut(_ meta: ObjectMeta, extraLabels: [String: String] = [:]) -> Bool {
        let values = [meta.labels[key], meta.annotations[key], extraLabels[key]].compactMap { $0?.lowercased() }
        return values.contains("false")
    }
}
