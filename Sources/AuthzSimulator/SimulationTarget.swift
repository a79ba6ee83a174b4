public import MeshModel

/// Why a request's source or destination could not be found in the snapshot.
public struct SimulationInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// Finds the proxies and identities a simulated request names, in a snapshot.
public struct SimulationTargets: Sendable {
    public let snapshot: MeshSnapshot

    public init(snapshot: MeshSnapshot) {
        self.snapshot = snapshot
    }

    /// A Pod or WorkloadEntry by `namespace/name` (or `name` in `default`).
    public func workload(_ reference: String, field: String) throws(SimulationInputError) -> MeshWorkload {
        let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
        let (namespace, name) = parts.count == 2 ? (parts[0], parts[1]) : ("default", reference)
        guard let workload = snapshot.workloads.first(where: { $0.namespace == namespace && $0.origin.name == name })
        else {
            throw SimulationInputError(field: field, reason: "no Pod or WorkloadEntry \(namespace)/\(name)")
        }
        return workload
    }

    /// The destination workload and port for `host:port` of a service: its first endpoint, at its target port.
    public func service(_ reference: String, field: String) throws(SimulationInputError) -> (MeshWorkload, Int) {
        guard let colon = reference.lastIndex(of: ":"), let port = Int(reference[reference.index(after: colon)...])
        else {
            throw SimulationInputError(field: field, reason: "expected host:port, got \"\(reference)\"")
        }
        let host = String(reference[..<colon])
        let candidates = [host, "\(host).svc.cluster.local", "\(host).default.svc.cluster.local"]
        guard let service = candidates.lazy.compactMap({ snapshot.servicesByHostname[$0] }).first else {
            throw SimulationInputError(field: field, reason: "no service \(host)")
        }
        guard let endpoint = snapshot.endpoints(hostname: service.hostname, port: port).first else {
            throw SimulationInputError(
                field: field, reason: "service \(service.hostname) has no endpoint on port \(port)")
        }
        guard let workload = snapshot.workloads.first(where: { $0.address == endpoint.address }) else {
            throw SimulationInputError(
                field: field, reason: "endpoint \(endpoint.address) of \(service.hostname) is no known workload")
        }
        return (workload, endpoint.port)
    }

    /// The proxy of `workload` as it would connect: a router when a Gateway selects its labels, else a sidecar;
    /// with its workload identity, so its inbound chains are those of a proxy that holds certificates.
    public func proxy(of workload: MeshWorkload) -> Proxy {
        let router = !snapshot.gateways(selecting: workload.labels).isEmpty
        let name = workload.origin.name
        let kind: Proxy.Kind = router ? .router : .sidecar
        var proxy = Proxy(
            id:
                "\(kind == .router ? "router" : "sidecar")~\(workload.address)~\(name).\(workload.namespace)~\(workload.namespace).svc.cluster.local",
            kind: kind, ipAddresses: [workload.address], podName: name, namespace: workload.namespace,
            dnsDomain: "\(workload.namespace).svc.cluster.local", labels: workload.labels,
            serviceAccount: workload.serviceAccount)
        proxy.workloadIdentity = WorkloadIdentity(
            trustDomain: snapshot.meshConfig.trustDomain, namespace: workload.namespace,
            serviceAccount: workload.serviceAccount ?? "default")
        return proxy
    }

    /// The mTLS identity a workload's sidecar presents.
    public func principal(of workload: MeshWorkload) -> String {
        "spiffe://\(snapshot.meshConfig.trustDomain)/ns/\(workload.namespace)/sa/\(workload.serviceAccount ?? "default")"
    }
}
