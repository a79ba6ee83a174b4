/// The SPIFFE identity a proxy has proven (by client certificate or token): whose certificates it may hold.
public struct WorkloadIdentity: Sendable, Hashable, CustomStringConvertible {
    public var trustDomain: String
    public var namespace: String
    public var serviceAccount: String

    public init(trustDomain: String = MeshDefaults.trustDomain, namespace: String, serviceAccount: String) {
        self.trustDomain = trustDomain
        self.namespace = namespace
        self.serviceAccount = serviceAccount
    }

    /// `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
    public var spiffeURI: String { "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)" }

    public var description: String { spiffeURI }
}
