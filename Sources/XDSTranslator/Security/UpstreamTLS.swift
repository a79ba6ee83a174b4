import EnvoyAPI
import MeshModel

/// Chooses the transport socket of an outbound cluster: the DestinationRule's `tls` when it has one, else
/// auto-mTLS, which uses mesh mutual TLS when every endpoint of the cluster runs a sidecar that accepts it.
enum UpstreamTLS {
    static func transportSocket(for plan: OutboundClusterPlan, in context: GenerationContext)
        -> Envoy_Config_Core_V3_TransportSocket?
    {
        let rule = context.destinationRule(for: plan.service.hostname)
        let settings = plan.subset?.trafficPolicy?.tls ?? rule?.trafficPolicy?.tls
        let sni = "outbound_.\(plan.port.port)_.\(plan.subset?.name ?? "")_.\(plan.service.hostname)"
        switch settings?.mode {
        case .disable:
            return nil
        case .simple, .mutual:
            return settings.map(TLSContexts.fileUpstream)
        case .istioMutual:
            // Without an identity the proxy has no certificate to present; Envoy would wait for it forever.
            guard let identity = context.proxy.workloadIdentity else { return nil }
            let sans = settings?.subjectAltNames ?? []
            return TLSContexts.meshUpstream(
                spiffeURIs: sans.isEmpty ? identities(plan, context, trustDomain: identity.trustDomain) : sans, sni: sni)
        case nil:
            guard let identity = context.proxy.workloadIdentity, acceptsMeshTLS(plan, context) else { return nil }
            return TLSContexts.meshUpstream(
                spiffeURIs: identities(plan, context, trustDomain: identity.trustDomain), sni: sni)
        }
    }

    /// Auto-mTLS applies to EDS clusters whose endpoints all run a sidecar and none of which has
    /// PeerAuthentication DISABLE on its port (such a server only speaks plaintext).
    static func acceptsMeshTLS(_ plan: OutboundClusterPlan, _ context: GenerationContext) -> Bool {
        guard plan.discovery == .eds else { return false }
        let endpoints = plan.endpoints(in: context.snapshot)
        guard !endpoints.isEmpty else { return false }
        return endpoints.allSatisfy { endpoint in
            endpoint.hasSidecar
                && context.snapshot.effectiveMutualTLS(namespace: endpoint.namespace, labels: endpoint.labels)
                    .mode(forPort: endpoint.port) != .disable
        }
    }

    /// The SPIFFE identities of the cluster's endpoints, sorted; a workload without a service account runs as
    /// `default`.
    static func identities(_ plan: OutboundClusterPlan, _ context: GenerationContext, trustDomain: String) -> [String] {
        let uris = plan.endpoints(in: context.snapshot).map {
            WorkloadIdentity(trustDomain: trustDomain, namespace: $0.namespace, serviceAccount: $0.serviceAccount ?? "default")
                .spiffeURI
        }
        return Set(uris).sorted()
    }
}
