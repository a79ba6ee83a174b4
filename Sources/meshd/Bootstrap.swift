import ArgumentParser
import Discovery
import Foundation
import Injection

/// `meshd bootstrap`: print an Envoy bootstrap for a sidecar (or gateway) that gets everything else from meshd.
struct Bootstrap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an Envoy bootstrap (JSON) that points a proxy at meshd over ADS.",
        discussion: """
            With --grpc, print a gRPC xDS bootstrap instead (for GRPC_XDS_BOOTSTRAP): a proxyless gRPC application \
            then reaches services as xds:///<host>:<port>. It authenticates with --token-file over TLS \
            (--xds-tls, --root-cert; use localhost:15012, the name meshd's serving certificate carries) and needs \
            GRPC_EXPERIMENTAL_XDS_BOOTSTRAP_CALL_CREDS=true in grpc 1.85 (and \
            GRPC_EXPERIMENTAL_XDS_DATA_ERROR_HANDLING=true to see meshd's reason for a missing name at once). \
            --cert-dir names the directory 'meshd workload-cert' writes, for mutual TLS. Write the token with \
            'meshd token --out'. See Docs/proxyless-grpc.md.
            """)

    @Option(name: .long, help: "The pod's IP address.")
    var nodeIP: String

    @Option(name: .long, help: "The pod name.")
    var pod: String

    @Option(name: .long, help: "The pod's namespace.")
    var namespace: String = "default"

    @Option(name: .long, help: "The pod's service account.")
    var serviceAccount: String = "default"

    @Option(name: .long, help: "A pod label as key=value; repeat for more.")
    var label: [String] = []

    @Option(name: .long, help: "Node metadata as KEY=VALUE (e.g. NETWORK=vm-net); repeat for more.")
    var metadata: [String] = []

    @Option(
        name: .long,
        help:
            "Register this proxy as a WorkloadEntry of the named WorkloadGroup (its namespace) while it is connected: node metadata AUTO_REGISTER_GROUP, as for a VM."
    )
    var autoRegisterGroup: String?

    @OptionGroup var proxyConfigInput: ProxyConfigInput

    @Option(name: .long, help: "sidecar or router (a gateway).")
    var type: String = "sidecar"

    @Option(
        name: .long,
        help:
            "meshd's xDS address: HOST:PORT or unix:PATH (default 127.0.0.1:15010). Repeat it for every replica: Envoy's xds-grpc cluster lists them all and reconnects to another when one goes."
    )
    var xdsAddress: [String] = []

    @Option(name: .long, help: "Envoy's admin port, on 127.0.0.1.")
    var adminPort: Int = 15000

    @Option(name: .long, help: "Bootstrap token from 'meshd token', sent as 'authorization: Bearer' on the ADS stream.")
    var token: String?

    @Option(
        name: .long, help: "File holding the bootstrap token (instead of --token; keeps it out of the process list).")
    var tokenFile: String?

    @Flag(name: .long, help: "Use Delta (incremental) ADS: ads_config api_type DELTA_GRPC.")
    var delta = false

    @Flag(name: .long, help: "Talk to meshd's TLS xDS port (15012), verifying it with --root-cert.")
    var xdsTls = false

    @Option(name: .long, help: "The mesh's root certificate (PEM file) used with --xds-tls (the ROOTCA bundle).")
    var rootCert: String?

    @Flag(name: .long, help: "Print a gRPC xDS bootstrap for a proxyless gRPC application instead of Envoy's.")
    var grpc = false

    @Option(
        name: .long,
        help: "With --grpc: the directory 'meshd workload-cert' writes, for the file_watcher certificate provider.")
    var certDir: String?

    @Option(name: .long, help: "With --grpc: how often gRPC re-reads the certificate files, in seconds.")
    var certRefreshSeconds: Int = 900

    @Option(
        name: .long,
        help:
            "A YAML file or directory of EnvoyFilters whose BOOTSTRAP patches selecting this proxy are merged in; repeat for more."
    )
    var envoyFilters: [String] = []

    func run() throws {
        guard type == "sidecar" || type == "router" else {
            throw ValidationError("--type: expected sidecar or router, got \"\(type)\"")
        }
        let addresses = try (xdsAddress.isEmpty ? ["127.0.0.1:15010"] : xdsAddress).map { text in
            guard let address = ListenAddress(text) else {
                throw ValidationError("--xds-address: expected HOST:PORT or unix:PATH, got \"\(text)\"")
            }
            return address
        }
        let xds = addresses[0]
        if grpc, addresses.count > 1 {
            throw ValidationError("--grpc takes one --xds-address (a gRPC client talks to one xDS server)")
        }
        let labels = try Self.pairs(label, flag: "--label")
        var nodeMetadata = try Self.pairs(metadata, flag: "--metadata")
        if grpc {
            try printDocument(try grpcBootstrap(xds: xds, labels: labels).document)
            return
        }
        var bootstrap = EnvoyBootstrap(
            kind: type, ip: nodeIP, pod: pod, namespace: namespace, serviceAccount: serviceAccount, labels: labels,
            xds: xds, adminPort: adminPort)
        bootstrap.extraXDS = Array(addresses.dropFirst())
        bootstrap.token = try resolvedToken()
        bootstrap.delta = delta
        // The pod's merged ProxyConfig: ISTIO_META_* variables become node metadata, as istio-agent makes them.
        // Concurrency is an Envoy flag, not bootstrap: said on standard error.
        if !proxyConfigInput.isEmpty {
            let settings = try proxyConfigInput.snapshot().proxySettings(namespace: namespace, labels: labels)
            nodeMetadata.merge(settings.nodeMetadata) { explicit, _ in explicit }
            if let concurrency = settings.concurrency, concurrency > 0 {
                let hint = "meshd bootstrap: the ProxyConfig sets concurrency \(concurrency): "
                FileHandle.standardError.write(Data("\(hint)run Envoy with --concurrency \(concurrency)\n".utf8))
            }
        }
        if let autoRegisterGroup {
            guard !autoRegisterGroup.isEmpty else { throw ValidationError("--auto-register-group: empty name") }
            nodeMetadata["AUTO_REGISTER_GROUP"] = autoRegisterGroup
        }
        bootstrap.extraMetadata = nodeMetadata
        if xdsTls {
            guard let rootCert else {
                throw ValidationError("--xds-tls needs --root-cert (the mesh's root certificate)")
            }
            bootstrap.xdsRootCertFile = rootCert
        }
        let patches = try BootstrapEnvoyFilters.load(envoyFilters)
        try printDocument(
            patches?.apply(to: bootstrap.document, namespace: namespace, labels: labels) ?? bootstrap.document)
    }

    private func printDocument(_ document: [String: Any]) throws {
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The `--grpc` bootstrap, refusing what gRPC would refuse: call credentials over plaintext, and an inline token
    /// (gRPC reads tokens from a file only).
    private func grpcBootstrap(xds: ListenAddress, labels: [String: String]) throws -> GRPCBootstrap {
        guard type == "sidecar" else { throw ValidationError("--grpc: a proxyless gRPC client has --type sidecar") }
        if token != nil {
            throw ValidationError("--grpc: gRPC reads the token from a file; use --token-file instead of --token")
        }
        if tokenFile != nil, !xdsTls {
            throw ValidationError(
                "--grpc: gRPC sends the token (call credentials) only over TLS; add --xds-tls and --root-cert")
        }
        if xdsTls, rootCert == nil {
            throw ValidationError("--xds-tls needs --root-cert (the mesh's root certificate)")
        }
        guard certRefreshSeconds > 0 else { throw ValidationError("--cert-refresh-seconds: must be positive") }
        return GRPCBootstrap(
            ip: nodeIP, pod: pod, namespace: namespace, serviceAccount: serviceAccount, labels: labels, xds: xds,
            xdsRootCertFile: xdsTls ? rootCert : nil, tokenFile: tokenFile, certificateDirectory: certDir,
            certificateRefreshSeconds: certRefreshSeconds)
    }

    /// `key=value` flags as a map; a pair without `=` or with an empty key is a usage error naming `flag`.
    static func pairs(_ values: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in values {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("\(flag): expected key=value, got \"\(pair)\"")
            }
            result[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return result
    }

    /// `--token`, or the trimmed content of `--token-file`; nil when neither is given.
    func resolvedToken() throws -> String? {
        if token != nil && tokenFile != nil { throw ValidationError("use either --token or --token-file, not both") }
        if let token { return token }
        guard let tokenFile else { return nil }
        guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw ValidationError("--token-file: cannot read \(tokenFile)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ValidationError("--token-file: \(tokenFile) is empty") }
        return trimmed
    }
}
