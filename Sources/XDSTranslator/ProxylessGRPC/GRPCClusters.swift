import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// CDS for a proxyless gRPC client: an EDS cluster per service port and DestinationRule subset
/// (`outbound|<port>|<subset>|<fqdn>`, as for sidecars), carrying only what gRPC's xDS client reads (gRFC A27, A32,
/// A42, A50): the load balancer, circuit-breaker `max_requests`, outlier detection, and for `ISTIO_MUTUAL` an
/// UpstreamTlsContext whose certificates come from the client's certificate provider `default` (gRFC A29).
///
/// A cluster gRPC cannot be given faithfully is not generated, and `GRPCResourceAbsence` says why when the client
/// asks for it: DNS and passthrough services (gRPC takes endpoints over EDS here), and TLS it cannot originate
/// (`SIMPLE`/`MUTUAL` with files, or `ISTIO_MUTUAL` without an identity). Security fails closed: such a cluster is
/// never sent in plaintext.
enum GRPCClusters {
    /// The certificate provider instance of meshd's gRPC bootstrap, and the names istiod gives its certificates.
    static let certificateProvider = "default"
    static let workloadCertificate = "default"
    static let rootCertificate = "ROOTCA"

    static func resources(for context: GenerationContext<ClusterInputs>) -> [TranslatedMessage] {
        OutboundClusterPlan.all(in: context).compactMap { plan in
            guard case .served(let cluster) = decision(for: plan, in: context) else { return nil }
            return TranslatedMessage(name: cluster.name, message: cluster, sources: plan.sources)
        }
    }

    /// Whether a plan becomes a gRPC cluster, and why not.
    enum Decision {
        case served(Envoy_Config_Cluster_V3_Cluster)
        case refused(String)
    }

    static func decision(
        for plan: OutboundClusterPlan, in context: GenerationContext<ClusterInputs>
    ) -> Decision {
        guard plan.discovery == .eds else {
            return .refused(
                "service \(plan.service.hostname) resolves by \(plan.service.resolution.rawValue) (or its load balancer is PASSTHROUGH); proxyless gRPC clients are given services with endpoints (EDS) only"
            )
        }
        let envoy = Envoy_Config_Cluster_V3_Cluster.outbound(plan, context.snapshot)
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = plan.name
        cluster.type = .eds
        cluster.edsClusterConfig = envoy.edsClusterConfig
        // gRPC's Cluster.lb_policy takes ROUND_ROBIN and RING_HASH only (grpc 1.85 NACKs LEAST_REQUEST there).
        if envoy.lbPolicy == .ringHash || envoy.lbPolicy == .maglev {
            // gRPC has no Maglev; its ring hash gives the same affinity by the same hash policies.
            cluster.lbPolicy = .ringHash
            if case .ringHashLbConfig(let config)? = envoy.lbConfig { cluster.ringHashLbConfig = config }
        } else {
            // ROUND_ROBIN, and LEAST_REQUEST and RANDOM, which gRPC takes as round robin (as istiod leaves them).
            cluster.lbPolicy = .roundRobin
        }
        if envoy.hasCircuitBreakers { cluster.circuitBreakers = envoy.circuitBreakers }
        if envoy.hasOutlierDetection { cluster.outlierDetection = envoy.outlierDetection }
        switch plan.policy?.tls?.mode {
        case nil, .disable?:
            break
        case .istioMutual?:
            guard let trustDomain = context.inputs.trustDomain else {
                return .refused(
                    "DestinationRule \(ruleName(plan)) asks for ISTIO_MUTUAL, and this client has no workload identity (it connected without a token or certificate), so it has no certificate to present"
                )
            }
            let sans = plan.policy?.tls?.subjectAltNames ?? []
            cluster.transportSocket = transportSocket(
                spiffeURIs: sans.isEmpty
                    ? GRPCIdentities.of(plan, context.snapshot, trustDomain: trustDomain) : sans)
        case let mode?:
            return .refused(
                "DestinationRule \(ruleName(plan)) sets tls mode \(mode.rawValue), which proxyless gRPC cannot originate (it takes certificates only from its bootstrap's certificate providers); meshd fails closed rather than send plaintext"
            )
        }
        return .served(cluster)
    }

    private static func ruleName(_ plan: OutboundClusterPlan) -> String {
        plan.rule.map { "\($0.meta.namespace)/\($0.meta.name)" } ?? "(none)"
    }

    /// `envoy.transport_sockets.tls` (the name gRPC requires) with the workload certificate and the root from the
    /// certificate provider instance `default`, and the server's SPIFFE identities as exact SAN matches (the only SAN
    /// rule gRPC reads is `match_subject_alt_names`).
    static func transportSocket(spiffeURIs: [String]) -> Envoy_Config_Core_V3_TransportSocket {
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        common.tlsCertificateProviderInstance = instance(workloadCertificate)
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        validation.caCertificateProviderInstance = instance(rootCertificate)
        validation.matchSubjectAltNames = spiffeURIs.map { uri in
            var matcher = Envoy_Type_Matcher_V3_StringMatcher()
            matcher.exact = uri
            return matcher
        }
        common.validationContext = validation
        var context = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        context.commonTlsContext = common
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = "envoy.transport_sockets.tls"
        socket.typedConfig = packAny(context)
        return socket
    }

    private static func instance(
        _ certificate: String
    )
        -> Envoy_Extensions_TransportSockets_Tls_V3_CertificateProviderPluginInstance
    {
        var instance = Envoy_Extensions_TransportSockets_Tls_V3_CertificateProviderPluginInstance()
        instance.instanceName = certificateProvider
        instance.certificateName = certificate
        return instance
    }
}

/// The SPIFFE identities a gRPC client accepts from a cluster's servers: each endpoint's service account (`default`
/// when it names none) in the client's trust domain, and the service's own `subjectAltNames`.
enum GRPCIdentities {
    static func of(_ plan: OutboundClusterPlan, _ snapshot: MeshSnapshot, trustDomain: String) -> [String] {
        let uris = plan.endpoints(in: snapshot).map {
            WorkloadIdentity(
                trustDomain: trustDomain, namespace: $0.namespace, serviceAccount: $0.serviceAccount ?? "default"
            )
            .spiffeURI
        }
        return Set(uris + plan.service.subjectAltNames).sorted()
    }
}
