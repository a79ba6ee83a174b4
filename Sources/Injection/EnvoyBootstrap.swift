public import Discovery

/// The bootstrap a proxy starts with: Istio's node identity and metadata, an admin port, and ADS over
/// HTTP/2 gRPC to meshd. Everything else (listeners, clusters, routes, endpoints) comes over ADS.
public struct EnvoyBootstrap {
    public var kind: String
    public var ip: String
    public var pod: String
    public var namespace: String
    public var serviceAccount: String
    public var labels: [String: String]
    public var xds: ListenAddress
    public var adminPort: Int
    /// More replicas' xDS addresses: the xds-grpc cluster lists `xds` and these, and Envoy reconnects to another
    /// endpoint when its stream's replica goes.
    public var extraXDS: [ListenAddress] = []
    /// A bootstrap token, sent as `authorization: Bearer <token>` on the ADS stream (Envoy's `initial_metadata`).
    public var token: String? = nil
    /// The root certificate file (PEM) to verify meshd's serving certificate; set to talk to the TLS port.
    public var xdsRootCertFile: String? = nil
    /// Delta (incremental) ADS instead of State of the World.
    public var delta = false
    /// The name meshd's serving certificate is checked against (SNI and SAN).
    public var xdsServerName = "istiod.istio-system.svc"
    /// More node metadata (`--metadata`, `--auto-register-group`, a ProxyConfig's `ISTIO_META_*` variables); the
    /// keys meshd writes itself (NAMESPACE, LABELS, ...) keep meshd's values.
    public var extraMetadata: [String: String] = [:]
    /// The readiness listener's port (injected sidecars: 15021): `GET /healthz/ready` there is Envoy's admin
    /// `/ready`. With it, the first CDS and LDS have no initial fetch timeout, so Envoy becomes ready (LIVE) only
    /// with config from meshd, not after Envoy's default 15 s without it.
    public var readinessPort: Int? = nil

    /// `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`
    public var nodeID: String { "\(kind)~\(ip)~\(pod).\(namespace)~\(namespace).svc.cluster.local" }

    public init(
        kind: String, ip: String, pod: String, namespace: String, serviceAccount: String, labels: [String: String],
        xds: ListenAddress, adminPort: Int
    ) {
        self.kind = kind
        self.ip = ip
        self.pod = pod
        self.namespace = namespace
        self.serviceAccount = serviceAccount
        self.labels = labels
        self.xds = xds
        self.adminPort = adminPort
    }

    public var document: [String: Any] {
        let app = labels["app"] ?? labels["app.kubernetes.io/name"] ?? pod
        let xdsEndpoints: [[String: Any]] = ([xds] + extraXDS).map { address in
            let endpointAddress: [String: Any] =
                switch address {
                case .tcp(let host, let port): ["socket_address": ["address": host, "port_value": port]]
                case .unix(let path): ["pipe": ["path": path]]
                }
            return ["endpoint": ["address": endpointAddress]]
        }
        var adsSource: [String: Any] = ["ads": [String: Any](), "resource_api_version": "V3"]
        if readinessPort != nil { adsSource["initial_fetch_timeout"] = "0s" }
        var metadata: [String: Any] = extraMetadata
        metadata.merge(
            [
                "NAMESPACE": namespace,
                "LABELS": labels,
                "SERVICE_ACCOUNT": serviceAccount,
                "INSTANCE_IPS": ip,
                "INTERCEPTION_MODE": "REDIRECT",
                "CLUSTER_ID": "Kubernetes",
                "MESH_ID": "cluster.local",
                "NAME": pod,
            ] as [String: Any]
        ) { _, own in own }
        var document: [String: Any] = [
            "node": [
                "id": nodeID,
                "cluster": "\(app).\(namespace)",
                "metadata": metadata,
            ] as [String: Any],
            "admin": ["address": ["socket_address": ["address": "127.0.0.1", "port_value": adminPort]]],
            "overload_manager": Self.overloadManager,
            "dynamic_resources": [
                "ads_config": [
                    "api_type": delta ? "DELTA_GRPC" : "GRPC",
                    "transport_api_version": "V3",
                    "set_node_on_first_message_only": true,
                    "grpc_services": [grpcService],
                ] as [String: Any],
                "cds_config": adsSource,
                "lds_config": adsSource,
            ],
            "static_resources": [
                "clusters": [
                    [
                        "name": "xds-grpc",
                        "type": "STATIC",
                        "connect_timeout": "1s",
                        "load_assignment": [
                            "cluster_name": "xds-grpc",
                            "endpoints": [["lb_endpoints": xdsEndpoints]],
                        ] as [String: Any],
                        "transport_socket": xdsTransportSocket,
                        "typed_extension_protocol_options": [
                            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": [
                                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                                "explicit_http_config": ["http2_protocol_options": [String: Any]()],
                            ] as [String: Any]
                        ],
                    ] as [String: Any]
                ]
            ],
        ]
        if let readinessPort, var resources = document["static_resources"] as? [String: Any],
            let clusters = resources["clusters"] as? [[String: Any]]
        {
            resources["listeners"] = [Self.readinessListener(port: readinessPort)]
            resources["clusters"] = clusters + [Self.adminCluster(port: adminPort)]
            document["static_resources"] = resources
        }
        return document
    }

    /// Istio's bootstrap limit on downstream connections (2^31 - 1): high enough never to refuse a workload's
    /// traffic, but set, so Envoy does not warn at every start that no limit is configured. Envoy 1.40 takes it
    /// from the overload manager's resource monitor; the runtime key istio-proxy still sets
    /// (`overload.global_downstream_max_connections`) is deprecated there.
    static let maxActiveDownstreamConnections = 2_147_483_647

    static var overloadManager: [String: Any] {
        [
            "resource_monitors": [
                [
                    "name": "envoy.resource_monitors.global_downstream_max_connections",
                    "typed_config": [
                        "@type":
                            "type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
                        "max_active_downstream_connections": maxActiveDownstreamConnections,
                    ] as [String: Any],
                ] as [String: Any]
            ]
        ]
    }

    /// `GET /healthz/ready` on every address at `port`, answered by Envoy's admin `/ready` (200 `LIVE` once Envoy
    /// has initialised with meshd's config, 503 before).
    static func readinessListener(port: Int) -> [String: Any] {
        let route: [String: Any] = [
            "match": ["path": InjectBootstrap.readinessPath],
            "route": ["cluster": adminClusterName, "prefix_rewrite": "/ready"],
        ]
        let manager: [String: Any] = [
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": "readiness",
            "route_config": [
                "name": "readiness",
                "virtual_hosts": [["name": "readiness", "domains": ["*"], "routes": [route]] as [String: Any]],
            ] as [String: Any],
            "http_filters": [
                [
                    "name": "envoy.filters.http.router",
                    "typed_config": ["@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"],
                ] as [String: Any]
            ],
        ]
        return [
            "name": "meshd-readiness",
            "address": ["socket_address": ["address": "0.0.0.0", "port_value": port]],
            "filter_chains": [
                ["filters": [["name": "envoy.filters.network.http_connection_manager", "typed_config": manager]]]
            ],
        ]
    }

    static let adminClusterName = "meshd-envoy-admin"

    /// Envoy's own admin interface as a cluster, for the readiness listener.
    static func adminCluster(port: Int) -> [String: Any] {
        [
            "name": adminClusterName,
            "type": "STATIC",
            "connect_timeout": "1s",
            "load_assignment": [
                "cluster_name": adminClusterName,
                "endpoints": [
                    [
                        "lb_endpoints": [
                            ["endpoint": ["address": ["socket_address": ["address": "127.0.0.1", "port_value": port]]]]
                        ]
                    ]
                ],
            ] as [String: Any],
        ]
    }

    /// The ADS gRPC service, carrying the token when there is one.
    private var grpcService: [String: Any] {
        var service: [String: Any] = ["envoy_grpc": ["cluster_name": "xds-grpc"]]
        if let token {
            service["initial_metadata"] = [["key": "authorization", "value": "Bearer \(token)"]]
        }
        return service
    }

    /// TLS towards meshd's secure port, verifying its serving certificate against the root; plaintext otherwise
    /// (an empty raw_buffer socket, which is Envoy's default).
    private var xdsTransportSocket: [String: Any] {
        guard let xdsRootCertFile else {
            return [
                "name": "envoy.transport_sockets.raw_buffer",
                "typed_config": [
                    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"
                ],
            ]
        }
        return [
            "name": "envoy.transport_sockets.tls",
            "typed_config": [
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "sni": xdsServerName,
                "common_tls_context": [
                    "alpn_protocols": ["h2"],
                    "validation_context": [
                        "trusted_ca": ["filename": xdsRootCertFile],
                        "match_typed_subject_alt_names": [["san_type": "DNS", "matcher": ["exact": xdsServerName]]],
                    ] as [String: Any],
                ] as [String: Any],
            ] as [String: Any],
        ]
    }
}
