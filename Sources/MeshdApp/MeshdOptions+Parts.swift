public import Discovery
public import EtcdClient
public import Injection
public import Registry
import Webhooks

extension MeshdOptions {
    /// The admission webhooks' listener, serving certificate names, and the injector's config.
    public struct Webhook: Sendable {
        public var host: String
        public var port: Int
        public var dnsNames = WebhookServer.defaultDNSNames
        public var injector = InjectorConfig()

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// The admin HTTP server: where it listens and who may read it.
    public struct Admin: Sendable {
        public var host: String
        /// 0 binds a free port (see `MeshdApplication.listening`).
        public var port: Int
        /// Bearer token every route but the probes (and `/metrics` when `publicMetrics`) requires. Mandatory when
        /// `host` is not loopback.
        public var token: String?
        public var publicMetrics: Bool

        public init(host: String = "127.0.0.1", port: Int = 15014, token: String? = nil, publicMetrics: Bool = true) {
            self.host = host
            self.port = port
            self.token = token
            self.publicMetrics = publicMetrics
        }
    }

    /// The certificate authority and how proxies prove who they are.
    public struct Security: Sendable {
        /// Where the self-signed root is kept (created on first start).
        public var stateDirectory: String
        /// A plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem), used instead.
        public var pluginDirectory: String?
        /// Lifetime of workload certificates; re-issued at half of it.
        public var workloadCertTTL: Duration
        /// Bootstrap tokens whose lifetime exceeds this are refused.
        public var maxTokenLifetime: Duration
        /// xDS over TLS (and the CSR API), Istio's 15012; nil runs none. Port 0 binds a free port.
        public var secureXDSAddress: ListenAddress?
        /// INSECURE, development only: trust the node metadata of proxies that send no credentials.
        public var trustNodeMetadata: Bool
        /// Accept proxies' Kubernetes service-account tokens, checked with this API server's TokenReview.
        public var tokenReview: KubernetesConnection?
        /// In a replica set with a self-signed CA: how often the shared root is checked (`SharedRootSync`).
        public var sharedRootCheckInterval: Duration = .seconds(10)

        public init(
            stateDirectory: String = ".meshd-state", pluginDirectory: String? = nil,
            workloadCertTTL: Duration = .seconds(24 * 3600), maxTokenLifetime: Duration = .seconds(24 * 3600),
            secureXDSAddress: ListenAddress? = .tcp(host: "127.0.0.1", port: 15012), trustNodeMetadata: Bool = false,
            tokenReview: KubernetesConnection? = nil
        ) {
            self.stateDirectory = stateDirectory
            self.pluginDirectory = pluginDirectory
            self.workloadCertTTL = workloadCertTTL
            self.maxTokenLifetime = maxTokenLifetime
            self.secureXDSAddress = secureXDSAddress
            self.trustNodeMetadata = trustNodeMetadata
            self.tokenReview = tokenReview
        }
    }

    /// A Kubernetes API server to watch, and how.
    public struct Kubernetes: Sendable {
        public var connection: KubernetesConnection
        public var options: KubernetesSource.Options
        /// This process as one replica of the replica set on this cluster (registry and leader Leases, the status
        /// duty; `KubernetesReplicaService`); nil runs the source alone. Not used when etcd holds the replica set.
        public var replica: Replica?
        /// The namespace meshd runs in: its Leases and the shared CA Secret `istio-ca-secret` live there.
        public var namespace = "istio-system"
        /// With a replica: whether the leader writes each Istio object's status (`KubernetesStatusDuty`); off by
        /// default, as istiod's `PILOT_ENABLE_STATUS`.
        public var configStatus = false
        /// With a replica and a CA: whether the leader writes `istio-ca-root-cert` into every namespace
        /// (`KubernetesRootCertDuty`).
        public var rootCertConfigMaps = true
        /// With a replica and a CA: the webhook configurations the leader gives the CA bundle
        /// (`KubernetesWebhookPatchDuty`); nil means istiod's names for `namespace`.
        public var webhookConfigurations: KubernetesWebhookPatchDuty.Configurations?

        public init(connection: KubernetesConnection, options: KubernetesSource.Options = KubernetesSource.Options()) {
            self.connection = connection
            self.options = options
        }
    }

    /// An etcd cluster to watch, and under which prefix.
    public struct Etcd: Sendable {
        public var connection: EtcdConnection
        public var layout: EtcdKeyLayout
        public var options: EtcdSource.Options
        /// This process as one replica of the replica set on this etcd (registry, leader election, duties); nil
        /// runs the source alone.
        public var replica: Replica?

        public init(
            connection: EtcdConnection, layout: EtcdKeyLayout = EtcdKeyLayout(prefix: "/meshd"),
            options: EtcdSource.Options = EtcdSource.Options()
        ) {
            self.connection = connection
            self.layout = layout
            self.options = options
        }
    }

    /// One replica's identity and timing in the replica set on etcd (`EtcdReplicaService`) or Kubernetes
    /// (`KubernetesReplicaService`, whose lease duration is `service.leaseTTL`).
    public struct Replica: Sendable {
        /// The replica's id: its registry key's last segment and the leader key's value.
        public var id: String
        public var service = EtcdReplicaService.Options()
        /// How often the leader compares the config status with what etcd holds.
        public var statusInterval: Duration = .seconds(1)
        /// The admin URL written into the registry; nil writes the admin server's bound address.
        public var advertisedAdmin: String?

        public init(id: String) {
            self.id = id
        }
    }

    /// How the xDS listeners treat connections and streams (`XDSTransportSettings`).
    public struct Transport: Sendable {
        public var keepaliveTime: Duration = .seconds(30)
        public var keepaliveTimeout: Duration = .seconds(10)
        public var maxConcurrentStreams = XDSTransportSettings.defaultMaxConcurrentStreams
        /// Bounds connections over both xDS listeners, counted in `meshd_xds_connections_refused`; nil bounds none.
        /// `meshd serve` always sets it, from the open-file limit and its flags.
        public var connectionLimits: XDSConnectionLimits?

        public init() {}
    }
}
