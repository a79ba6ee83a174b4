import EnvoyAPI
import MeshModel

/// Chooses the transport socket of an outbound cluster: the DestinationRule's `tls` (after subset and port-level
/// merging) when it has one, else auto-mTLS, which uses mesh mutual TLS when every endpoint of the cluster runs a
/// sidecar that accepts it.
enum UpstreamTLS {
    static func transportSocket(
        for plan: OutboundClusterPlan, in context: GenerationContext<ClusterInputs>
    )
        -> Envoy_Config_Core_V3_TransportSocket?
    {
        let settings = plan.policy?.tls
        let sni = "outbound_.\(plan.port.port)_.\(plan.subset?.name ?? "")_.\(plan.service.hostname)"
        switch settings?.mode {
        case .disable:
            return nil
        case .simple, .mutual:
            guard let settings else { return nil }
            if let credential = settings.credentialName {
                // istiod originates no TLS from a plain sidecar with credentialName (only gateways and sidecars
                // selected by a rule's workloadSelector read Secrets); a gateway fetches the Secret over SDS.
                guard context.inputs.kind == .router else { return nil }
                return TLSContexts.credentialUpstream(settings, credential: credential, http2: isHTTP2(plan))
            }
            return TLSContexts.fileUpstream(settings, http2: isHTTP2(plan))
        case .istioMutual:
            // Without an identity the proxy has no certificate to present; Envoy would wait for it forever.
            guard let trustDomain = context.inputs.trustDomain else { return nil }
            let sans = settings?.subjectAltNames ?? []
            return TLSContexts.meshUpstream(
                spiffeURIs: sans.isEmpty ? identities(plan, context, trustDomain: trustDomain) : sans,
                sni: settings?.sni ?? sni)
        case nil:
            guard let trustDomain = context.inputs.trustDomain, acceptsMeshTLS(plan, context) else { return nil }
            return TLSContexts.meshUpstream(
                spiffeURIs: identities(plan, context, trustDomain: trustDomain), sni: sni)
        }
    }

    /// An HTTP/2 cluster (by port protocol or `h2UpgradePolicy: UPGRADE`) offers `h2` over ALPN.
    static func isHTTP2(_ plan: OutboundClusterPlan) -> Bool {
        plan.port.protocol == .http2 || plan.port.protocol == .grpc
            || plan.policy?.connectionPool?.http?.h2UpgradePolicy == .upgrade
    }

    /// Auto-mTLS applies to EDS clusters whose endpoints all run a sidecar and none of which has
    /// PeerAuthentication DISABLE on its port (such a server only speaks plaintext).
    /// As istiod, never for a MESH_EXTERNAL ServiceEntry, whatever runs behind it.
    static func acceptsMeshTLS(_ plan: OutboundClusterPlan, _ context: GenerationContext<ClusterInputs>) -> Bool {
        guard plan.discovery == .eds, !plan.service.meshExternal else { return false }
        let endpoints = plan.endpoints(in: context.snapshot)
        guard !endpoints.isEmpty else { return false }
        return endpoints.allSatisfy { endpoint in
            endpoint.hasSidecar
                && context.snapshot.effectiveMutualTLS(namespace: endpoint.namespace, labels: endpoint.labels)
                    .mode(forPort: endpoint.port) != .disable
        }
    }

    /// The SPIFFE identities of the cluster's endpoints, sorted; a workload without a service account runs as
    /// `default`. A ServiceEntry's `subjectAltNames` are accepted too.
    static func identities(
        _ plan: OutboundClusterPlan, _ context: GenerationContext<ClusterInputs>, trustDomain: String
    ) -> [String] {
        let uris = plan.endpoints(in: context.snapshot).map {
            WorkloadIdentity(
                trustDomain: trustDomain, namespace: $0.namespace, serviceAccount: $0.serviceAccount ?? "default"
            )
            .spiffeURI
        }
        return Set(uris + plan.service.subjectAltNames).sorted()
    }
}
