public import Discovery
public import MeshModel

/// What `meshd inject` puts into a pod: which images, where meshd is, and how the proxy proves its identity.
public struct InjectSettings: Sendable {
    /// EnvoyFilter `BOOTSTRAP` patches (`--envoy-filters`), merged into each workload's bootstrap.
    public var bootstrapPatches: BootstrapEnvoyFilters?
    /// The Envoy sidecar image.
    public var proxyImage = "envoyproxy/envoy:v1.40.0"
    /// The image of the init container that installs the iptables redirect; it needs `sh` and `iptables-restore`.
    public var initImage = "meshd:latest"
    /// meshd's xDS address as proxies in the pod dial it.
    public var meshdAddress = ListenAddress.tcp(host: "istiod.istio-system.svc", port: 15012)
    /// Talk to meshd in plaintext (port 15010) instead of TLS verified against the mesh root.
    public var plaintext = false
    /// Put the sidecar into `initContainers` with `restartPolicy: Always` (Kubernetes 1.29 and later), so it starts
    /// before the application and does not keep a Job's pod alive. Otherwise it is an ordinary container.
    public var nativeSidecar = true
    /// Lifetime of the projected token; the kubelet refreshes it at 80 %, but Envoy reads it once, at start-up.
    public var tokenExpirationSeconds = 43_200
    /// The ProxyConfigs and mesh config (`--proxy-config`, `--mesh-config`) whose merged settings shape each pod's
    /// proxy: concurrency, image type, environment variables. Empty: istiod's defaults.
    public var mesh = MeshSnapshot.build(from: [])
    /// The namespace of a workload whose metadata names none (`kubectl apply -n`).
    public var namespace = "default"
    /// The sidecar's readiness port (Istio's 15021): the bootstrap's readiness listener, which the kubelet probes.
    public var readinessPort = 15021

    public init() {}

    /// Environment variables of the proxy container that meshd sets itself; a ProxyConfig may not replace them.
    static let reservedEnvironment: Set<String> = [
        "INSTANCE_IP", "POD_NAME", "POD_NAMESPACE", "SERVICE_ACCOUNT", "ISTIO_TOKEN", InjectBootstrap.templateVariable,
    ]

    /// Envoy runs as this uid; the redirect exempts its traffic. Istio's value.
    static let proxyUID = SidecarInterception.proxyUID
    /// The projected token's audience, which meshd's TokenReview requires.
    static let tokenAudience = "istio-ca"
    static let tokenDirectory = "/var/run/secrets/tokens"
    static let tokenPath = "/var/run/secrets/tokens/istio-token"
    static let rootCertDirectory = "/var/run/secrets/istio"
    static let rootCertPath = "/var/run/secrets/istio/root-cert.pem"
    /// The per-namespace ConfigMap holding the mesh root (`root-cert.pem`), Istio's name.
    static let rootCertConfigMap = "istio-ca-root-cert"
    static let proxyContainerName = "istio-proxy"
    static let initContainerName = "istio-init"
    static let tokenVolumeName = "istio-token"
    static let rootCertVolumeName = "istiod-ca-cert"
    /// Envoy's admin port, on 127.0.0.1 inside the pod.
    static let proxyAdminPort = 15000
}
