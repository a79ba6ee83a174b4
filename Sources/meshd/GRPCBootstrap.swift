import Discovery

/// The xDS bootstrap of a proxyless gRPC application (`GRPC_XDS_BOOTSTRAP`, gRFC A27), as istiod's agent writes it:
/// meshd as the xDS server, Istio's node id with `GENERATOR: grpc` (which makes meshd serve it as gRPC), the token as
/// `jwt_token_file` call credentials, and a `file_watcher` certificate provider named `default` reading the files
/// `meshd workload-cert` writes (gRFC A29), which the clusters' TLS contexts name.
struct GRPCBootstrap {
    var ip: String
    var pod: String
    var namespace: String
    var serviceAccount: String
    var labels: [String: String]
    var xds: ListenAddress
    /// The root certificate (PEM file) that verifies meshd's serving certificate; nil for plaintext.
    var xdsRootCertFile: String?
    /// The token file, re-read by gRPC (`jwt_token_file` call credentials); gRPC sends them over TLS only.
    var tokenFile: String?
    /// The directory of `cert-chain.pem`, `key.pem` and `root-cert.pem` for mutual TLS; nil for none.
    var certificateDirectory: String?
    /// How often gRPC re-reads the certificate files.
    var certificateRefreshSeconds = 900

    /// Istio's name template for the listener of a gRPC xDS server (its listening address replaces `%s`).
    static let serverListenerTemplate = "xds.istio.io/grpc/lds/inbound/%s"

    /// `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`, as istiod's gRPC bootstrap writes it.
    var nodeID: String { "sidecar~\(ip)~\(pod).\(namespace)~\(namespace).svc.cluster.local" }

    /// gRPC's form of the server address: `host:port`, or `unix:<path>`.
    var serverURI: String {
        switch xds {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    var document: [String: Any] {
        var server: [String: Any] = [
            "server_uri": serverURI,
            "server_features": ["xds_v3"],
        ]
        if let xdsRootCertFile {
            server["channel_creds"] = [["type": "tls", "config": ["ca_certificate_file": xdsRootCertFile]]]
        } else {
            server["channel_creds"] = [["type": "insecure"]]
        }
        if let tokenFile {
            server["call_creds"] = [["type": "jwt_token_file", "config": ["jwt_token_file": tokenFile]]]
        }
        let app = labels["app"] ?? labels["app.kubernetes.io/name"] ?? pod
        var document: [String: Any] = [
            "xds_servers": [server],
            "node": [
                "id": nodeID,
                "cluster": "\(app).\(namespace)",
                "locality": [String: Any](),
                "metadata": [
                    "GENERATOR": "grpc",
                    "NAMESPACE": namespace,
                    "LABELS": labels,
                    "SERVICE_ACCOUNT": serviceAccount,
                    "INSTANCE_IPS": ip,
                    "CLUSTER_ID": "Kubernetes",
                    "MESH_ID": "cluster.local",
                    "NAME": pod,
                ] as [String: Any],
            ] as [String: Any],
            "server_listener_resource_name_template": Self.serverListenerTemplate,
        ]
        if let certificateDirectory {
            let directory =
                certificateDirectory.hasSuffix("/") ? String(certificateDirectory.dropLast()) : certificateDirectory
            document["certificate_providers"] = [
                "default": [
                    "plugin_name": "file_watcher",
                    "config": [
                        "certificate_file": "\(directory)/\(WorkloadCert.certificateFile)",
                        "private_key_file": "\(directory)/\(WorkloadCert.keyFile)",
                        "ca_certificate_file": "\(directory)/\(WorkloadCert.rootFile)",
                        "refresh_interval": "\(certificateRefreshSeconds)s",
                    ] as [String: Any],
                ] as [String: Any]
            ]
        }
        return document
    }
}
