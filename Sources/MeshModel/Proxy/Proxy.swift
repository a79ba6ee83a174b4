/// A connected Envoy as the mesh model sees it, parsed from its Istio-style node id and metadata.
///
/// Node id: `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local` (`router~` for gateways). A proxyless gRPC
/// application uses a sidecar id with the metadata `GENERATOR: grpc`, as istiod's gRPC bootstrap writes it.
public struct Proxy: Sendable, Hashable {
    /// `grpc`: a gRPC library speaking xDS itself (proxyless), which istiod recognises by `GENERATOR: grpc` and
    /// serves with its own generators (`ApiListener`s named `host:port`).
    public enum Kind: String, Sendable, Hashable { case sidecar, router, grpc }

    /// The node metadata value of `GENERATOR` that marks a proxyless gRPC client (istiod's `grpc` generator).
    public static let grpcGenerator = "grpc"

    public var id: String
    public var kind: Kind
    public var ipAddresses: [String]
    public var podName: String
    public var namespace: String
    public var dnsDomain: String
    public var labels: [String: String]
    public var serviceAccount: String?
    public var interceptionMode: String
    public var clusterID: String?
    public var meshID: String?
    /// `NETWORK`: the network the proxy is on; part of an auto-registered WorkloadEntry's name and body.
    public var network: String?
    /// `AUTO_REGISTER_GROUP`: the WorkloadGroup (in the proxy's namespace) whose template the proxy registers as a
    /// WorkloadEntry while it is connected, as istiod's auto-registration does for VMs.
    public var autoRegisterGroup: String?
    /// The node's `locality` as `region/zone/subzone` (istiod's LocalityToString); nil when the node names none.
    public var locality: String?
    /// The identity the proxy authenticated as; nil when it has none (no CA, or an unauthenticated test proxy).
    /// Only a proxy with an identity gets certificates, and with them mutual TLS in and out.
    public var workloadIdentity: WorkloadIdentity?
    /// The node metadata as strings (`LABELS` left out): what EnvoyFilter `match.proxy` reads (`ISTIO_VERSION` and
    /// `metadata`).
    public var metadata: [String: String] = [:]

    public init(
        id: String, kind: Kind, ipAddresses: [String], podName: String, namespace: String, dnsDomain: String,
        labels: [String: String] = [:], serviceAccount: String? = nil, interceptionMode: String = "REDIRECT",
        clusterID: String? = nil, meshID: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.ipAddresses = ipAddresses
        self.podName = podName
        self.namespace = namespace
        self.dnsDomain = dnsDomain
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.interceptionMode = interceptionMode
        self.clusterID = clusterID
        self.meshID = meshID
    }
}

/// Why a node id could not be understood.
public struct ProxyIdentityError: Error, Sendable, Hashable, CustomStringConvertible {
    public var nodeID: String
    public var reason: String

    public var description: String { "node id \"\(nodeID)\": \(reason)" }
}

extension Proxy {
    /// Parses an Istio node id and the node metadata (already flattened to strings; `LABELS` as a map).
    ///
    /// Metadata keys: `NAMESPACE`, `LABELS`, `SERVICE_ACCOUNT`, `INSTANCE_IPS` (comma-separated),
    /// `INTERCEPTION_MODE`, `CLUSTER_ID`, `MESH_ID`, `NETWORK`, `AUTO_REGISTER_GROUP`, and `GENERATOR` (`grpc` makes a
    /// sidecar id a proxyless gRPC client, `Kind.grpc`). Metadata wins over the id where both say something.
    public init(nodeID: String, metadata: [String: String], labels: [String: String]) throws(ProxyIdentityError) {
        let parts = nodeID.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else {
            throw ProxyIdentityError(
                nodeID: nodeID,
                reason: "expected 4 parts separated by '~' (type~ip~pod.namespace~domain), found \(parts.count)")
        }
        guard var kind = Kind(rawValue: parts[0]), kind != .grpc else {
            throw ProxyIdentityError(
                nodeID: nodeID, reason: "unknown proxy type \"\(parts[0])\"; expected \"sidecar\" or \"router\"")
        }
        if kind == .sidecar, metadata["GENERATOR"] == Self.grpcGenerator { kind = .grpc }
        guard !parts[1].isEmpty else { throw ProxyIdentityError(nodeID: nodeID, reason: "empty IP address") }
        let podAndNamespace = parts[2]
        var podName = podAndNamespace
        var namespace = metadata["NAMESPACE"] ?? ""
        if let dot = podAndNamespace.lastIndex(of: ".") {
            podName = String(podAndNamespace[..<dot])
            if namespace.isEmpty { namespace = String(podAndNamespace[podAndNamespace.index(after: dot)...]) }
        }
        if namespace.isEmpty {
            throw ProxyIdentityError(
                nodeID: nodeID, reason: "no namespace in the id (pod.namespace) or in NAMESPACE metadata")
        }
        var ips = (metadata["INSTANCE_IPS"] ?? "").split(separator: ",").map { String($0).trimmingSpaces() }.filter {
            !$0.isEmpty
        }
        if !ips.contains(parts[1]) { ips.insert(parts[1], at: 0) }
        self.init(
            id: nodeID, kind: kind, ipAddresses: ips, podName: podName, namespace: namespace, dnsDomain: parts[3],
            labels: labels, serviceAccount: metadata["SERVICE_ACCOUNT"],
            interceptionMode: metadata["INTERCEPTION_MODE"] ?? "REDIRECT",
            clusterID: metadata["CLUSTER_ID"], meshID: metadata["MESH_ID"])
        self.metadata = metadata
        network = metadata["NETWORK"].flatMap { $0.isEmpty ? nil : $0 }
        autoRegisterGroup = metadata["AUTO_REGISTER_GROUP"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
