/// A Kubernetes `v1` Service: ports, a selector over workloads, and an optional cluster IP.
public struct KubernetesService: Sendable, Hashable {
    public var meta: ObjectMeta
    public var ports: [ServicePort]
    /// Workloads (Pods and WorkloadEntries) in the same namespace whose labels contain these are endpoints.
    public var selector: [String: String]
    /// `spec.clusterIP`; nil or "None" for headless services.
    public var clusterIP: String?
    /// `spec.trafficDistribution` `PreferClose` or `PreferSameZone` (or, without it, Istio's annotation
    /// `networking.istio.io/traffic-distribution`): clients prefer endpoints close to them, as istiod turns it into a
    /// locality failover where no DestinationRule sets `localityLbSetting`.
    public var prefersClose: Bool

    /// Istio's annotation, read when `spec.trafficDistribution` is unset.
    public static let trafficDistributionAnnotation = "networking.istio.io/traffic-distribution"

    public init(
        meta: ObjectMeta, ports: [ServicePort], selector: [String: String] = [:], clusterIP: String? = nil,
        prefersClose: Bool = false
    ) {
        self.meta = meta
        self.ports = ports
        self.selector = selector
        self.clusterIP = clusterIP
        self.prefersClose = prefersClose
    }
}

/// One port of a Kubernetes Service.
public struct ServicePort: Sendable, Hashable {
    public var name: String?
    public var port: Int
    public var targetPort: TargetPort?
    /// `TCP` (default), `UDP` or `SCTP`.
    public var transportProtocol: String
    public var appProtocol: String?

    public init(
        name: String? = nil, port: Int, targetPort: TargetPort? = nil, transportProtocol: String = "TCP",
        appProtocol: String? = nil
    ) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
        self.transportProtocol = transportProtocol
        self.appProtocol = appProtocol
    }
}

/// A Service's `targetPort`: a number, or the name of a container port.
public enum TargetPort: Sendable, Hashable {
    case number(Int)
    case name(String)
}

/// A Kubernetes `v1` Pod, reduced to what the registry needs to make it an endpoint.
public struct Pod: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `status.podIP`; a Pod without one is not an endpoint yet.
    public var podIP: String?
    public var serviceAccountName: String
    /// Named container ports, for Services whose `targetPort` is a name.
    public var namedPorts: [String: Int]
    /// `spec.nodeName`: the Node it runs on, whose labels give its locality.
    public var nodeName: String?

    public init(
        meta: ObjectMeta, podIP: String?, serviceAccountName: String = "default", namedPorts: [String: Int] = [:],
        nodeName: String? = nil
    ) {
        self.meta = meta
        self.podIP = podIP
        self.serviceAccountName = serviceAccountName
        self.namedPorts = namedPorts
        self.nodeName = nodeName
    }
}
