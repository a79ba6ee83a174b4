extension ConfigAnalysis {
    /// istioctl's code for several Sidecars without a selector in one namespace.
    public static let multipleSidecarsWithoutWorkloadSelectors =
        "IST0111 MultipleSidecarsWithoutWorkloadSelectors"
    /// istioctl's code for several Sidecars whose selectors pick the same workload.
    public static let conflictingSidecarWorkloadSelectors =
        "IST0110 ConflictingSidecarWorkloadSelectors"

    /// The findings about one Sidecar: it is not the only selector-less Sidecar of its namespace, or its selector
    /// picks a workload that another Sidecar of the namespace also picks. In both cases meshd (like istiod) uses the
    /// first by name; the warning names the others.
    static func sidecarFindings(
        _ sidecar: Sidecar, in snapshot: MeshSnapshot
    ) -> [(
        path: String, message: String
    )] {
        let namespace = sidecar.meta.namespace
        let others = (snapshot.sidecarsByNamespace[namespace] ?? []).filter {
            $0.meta.name != sidecar.meta.name
        }
        guard let selector = sidecar.workloadSelector else {
            let names = others.filter { $0.workloadSelector == nil }.map(\.meta.name)
            guard !names.isEmpty else { return [] }
            return [
                (
                    "spec",
                    "\(multipleSidecarsWithoutWorkloadSelectors): the Sidecars \(([sidecar.meta.name] + names).sorted()) in namespace \"\(namespace)\" have no workload selector; the first by name applies"
                )
            ]
        }
        var findings: [(path: String, message: String)] = []
        for workload in snapshot.workloads where workload.namespace == namespace {
            guard selector.allSatisfy({ workload.labels[$0.key] == $0.value }) else { continue }
            let conflicting = others.filter { other in
                guard let theirs = other.workloadSelector else { return false }
                return theirs.allSatisfy { workload.labels[$0.key] == $0.value }
            }
            guard !conflicting.isEmpty else { continue }
            findings.append(
                (
                    "spec.workloadSelector",
                    "\(conflictingSidecarWorkloadSelectors): the Sidecars \(([sidecar.meta.name] + conflicting.map(\.meta.name)).sorted()) in namespace \"\(namespace)\" select the same workload \(workload.origin); the first by name applies"
                ))
            break
        }
        return findings
    }
}
