import Discovery
import Foundation
import MeshModel

/// The sidecar's Envoy bootstrap as a template, and the entrypoint that renders it.
///
/// The pod's IP, name, namespace and service account are only known when the pod runs, and Envoy does not
/// substitute environment variables in its bootstrap. So the bootstrap (made by `EnvoyBootstrap`, as
/// `meshd bootstrap` makes it) carries `__PLACEHOLDER__`s, travels in an environment variable, and a tiny shell
/// entrypoint replaces them from the downward API and the projected token, then starts Envoy with
/// `--config-yaml` (JSON is YAML). No ConfigMap per workload is needed.
enum InjectBootstrap {
    /// Placeholder -> the environment variable the entrypoint takes its value from.
    static let placeholders: [(placeholder: String, variable: String)] = [
        ("__INSTANCE_IP__", "INSTANCE_IP"),
        ("__POD_NAME__", "POD_NAME"),
        ("__POD_NAMESPACE__", "POD_NAMESPACE"),
        ("__SERVICE_ACCOUNT__", "SERVICE_ACCOUNT"),
        ("__ISTIO_TOKEN__", "ISTIO_TOKEN"),
    ]
    /// The environment variable holding the template.
    static let templateVariable = "MESHD_BOOTSTRAP_TEMPLATE"

    /// The bootstrap JSON with placeholders, for a pod in `namespace` whose template has `labels`; the EnvoyFilter
    /// BOOTSTRAP patches that select it are merged in.
    static func template(
        labels: [String: String], namespace: String, settings: InjectSettings, proxy: ProxySettings = ProxySettings()
    ) throws -> String {
        var bootstrap = EnvoyBootstrap(
            kind: "sidecar", ip: "__INSTANCE_IP__", pod: "__POD_NAME__", namespace: "__POD_NAMESPACE__",
            serviceAccount: "__SERVICE_ACCOUNT__", labels: labels, xds: settings.meshdAddress,
            adminPort: InjectSettings.proxyAdminPort)
        bootstrap.extraMetadata = proxy.nodeMetadata
        bootstrap.token = "__ISTIO_TOKEN__"
        if !settings.plaintext { bootstrap.xdsRootCertFile = InjectSettings.rootCertPath }
        if case .tcp(let host, _) = settings.meshdAddress { bootstrap.xdsServerName = serverName(for: host) }
        bootstrap.readinessPort = settings.readinessPort
        var document = bootstrap.document
        if case .tcp(let host, _) = settings.meshdAddress, !isIPAddress(host) {
            document = resolvingXDSClusterByDNS(document)
        }
        if let patches = settings.bootstrapPatches {
            document = patches.apply(to: document, namespace: namespace, labels: labels)
        }
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The entrypoint: reads the token, renders the template with `sed` (every value is a DNS label, an IP or a
    /// base64url JWT, none of which contains `|`), and execs Envoy so that it receives the kubelet's signals.
    /// Envoy drains as istio-proxy's does (`--drain-strategy immediate --drain-time-s 45`): after a listener update,
    /// connections opened under the old config (and its authorization filters) close within 45 s, not Envoy's
    /// default 600 s. A ProxyConfig `concurrency` above 0 becomes `--concurrency` (0 lets Envoy use every core).
    static func entrypoint(concurrency: Int? = nil) -> String {
        let substitutions = placeholders.map { "-e \"s|\($0.placeholder)|${\($0.variable)}|g\"" }
        let threads = concurrency.map { $0 > 0 ? " --concurrency \($0)" : "" } ?? ""
        return """
            set -eu
            ISTIO_TOKEN=$(cat \(InjectSettings.tokenPath))
            config=$(printf '%s' "$\(templateVariable)" | sed \(substitutions.joined(separator: " ")))
            exec envoy --disable-hot-restart --drain-strategy immediate --drain-time-s 45\(threads) --log-level warning --config-yaml "$config"

            """
    }

    /// The readiness path the kubelet probes on the readiness port: the bootstrap's readiness listener forwards it
    /// to Envoy's admin `/ready`, which answers 200 only once Envoy is LIVE (its first CDS and LDS applied).
    static let readinessPath = "/healthz/ready"

    /// The postStart hook that holds the application of a pod whose sidecar is an ordinary container
    /// (`holdApplicationUntilProxyStarts`): it asks the readiness listener once a second, for at most 10 minutes,
    /// using bash's /dev/tcp (the Envoy image has bash but no HTTP client).
    static func waitUntilReady(port: Int, attempts: Int = 600) -> String {
        """
        for attempt in $(seq 1 \(attempts)); do
          if (exec 3<>/dev/tcp/127.0.0.1/\(port) && printf 'GET \(readinessPath) HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3) 2>/dev/null | grep -q ' 200 '; then
            exit 0
          fi
          sleep 1
        done
        echo "the sidecar was not ready after \(attempts) attempts" >&2
        exit 1

        """
    }

    /// The certificate meshd serves on 15012 names `istiod.istio-system.svc`; a short name such as
    /// `istiod.istio-system.svc.cluster.local` or an IP is checked against that name too.
    static func serverName(for host: String) -> String {
        if isIPAddress(host) || host.hasPrefix("istiod.istio-system.") { return "istiod.istio-system.svc" }
        return host
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }

    /// `meshd bootstrap` writes a STATIC cluster for meshd, which needs an IP; a Service name needs DNS.
    static func resolvingXDSClusterByDNS(_ document: [String: Any]) -> [String: Any] {
        var document = document
        guard var resources = document["static_resources"] as? [String: Any],
            var clusters = resources["clusters"] as? [[String: Any]]
        else { return document }
        for index in clusters.indices where clusters[index]["name"] as? String == "xds-grpc" {
            clusters[index]["type"] = "STRICT_DNS"
            clusters[index]["dns_lookup_family"] = "V4_PREFERRED"
        }
        resources["clusters"] = clusters
        document["static_resources"] = resources
        return document
    }
}
