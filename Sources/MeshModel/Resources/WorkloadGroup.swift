/// Istio's WorkloadGroup (`networking.istio.io` v1, v1beta1, v1alpha3): the template of the WorkloadEntries that
/// proxies outside Kubernetes (VMs) register when they connect with node metadata `AUTO_REGISTER_GROUP` naming it.
public struct WorkloadGroup: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `metadata.labels`: labels of every registered entry, over the template's.
    public var labels: [String: String]
    /// `metadata.annotations`: annotations of every registered entry.
    public var annotations: [String: String]
    /// `template`: the WorkloadEntry body; `address` is replaced by the proxy's.
    public var template: WorkloadEntrySpec
    /// `probe`: read and validated; istio-agent runs it on the VM, and upstream Envoy has no agent.
    public var probe: WorkloadGroupProbe?

    public init(
        meta: ObjectMeta, labels: [String: String] = [:], annotations: [String: String] = [:],
        template: WorkloadEntrySpec = WorkloadEntrySpec(address: ""), probe: WorkloadGroupProbe? = nil
    ) {
        self.meta = meta
        self.labels = labels
        self.annotations = annotations
        self.template = template
        self.probe = probe
    }
}

/// `probe` of a WorkloadGroup (Istio's ReadinessProbe).
public struct WorkloadGroupProbe: Sendable, Hashable {
    public enum Method: Sendable, Hashable {
        case httpGet(port: Int, path: String?, host: String?, scheme: String?, headerNames: [String])
        case tcpSocket(port: Int)
        case exec(command: [String])
        case grpc(port: Int)
    }

    public var method: Method?
    public var initialDelaySeconds: Int
    public var timeoutSeconds: Int
    public var periodSeconds: Int
    public var successThreshold: Int
    public var failureThreshold: Int

    public init(
        method: Method?, initialDelaySeconds: Int = 0, timeoutSeconds: Int = 0, periodSeconds: Int = 0,
        successThreshold: Int = 0, failureThreshold: Int = 0
    ) {
        self.method = method
        self.initialDelaySeconds = initialDelaySeconds
        self.timeoutSeconds = timeoutSeconds
        self.periodSeconds = periodSeconds
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
    }
}
