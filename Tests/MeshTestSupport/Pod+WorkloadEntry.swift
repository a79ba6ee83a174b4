extension Pod {
    /// The pod as meshd's config sees it: a WorkloadEntry with the pod's address, labels and service account, so
    /// Services select it by labels as they would select a real Pod.
    public var workloadEntryYAML: String {
        """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
          address: \(ip)
          serviceAccount: \(serviceAccount)
          labels:
        \(labels.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }.joined(separator: "\n"))
        """
    }

    /// One WorkloadEntry document per pod.
    public static func workloadEntries(_ pods: [Pod]) -> String {
        pods.map(\.workloadEntryYAML).joined(separator: "\n---\n")
    }
}
