/// Istio `WorkloadEntry`: a workload that is not a Pod (a VM, or a process in a test harness).
public struct WorkloadEntry: Sendable, Hashable {
    public var meta: ObjectMeta
    public var spec: WorkloadEntrySpec

    public init(meta: ObjectMeta, spec: WorkloadEntrySpec) {
        self.meta = meta
        self.spec = spec
    }
}

/// The body of a WorkloadEntry; also the shape of a ServiceEntry's inline `endpoints`.
public struct WorkloadEntrySpec: Sendable, Hashable {
    public var address: String
    /// Port name -> port number on the workload, overriding the service's target port.
    public var ports: [String: Int]
    public var labels: [String: String]
    public var serviceAccount: String?
    public var network: String?
    public var locality: String?
    public var weight: Int?

    public init(
        address: String, ports: [String: Int] = [:], labels: [String: String] = [:], serviceAccount: String? = nil,
        network: String? = nil, locality: String? = nil, weight: Int? = nil
    ) {
        self.address = address
        self.ports = ports
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.network = network
        self.locality = locality
        self.weight = weight
    }
}
