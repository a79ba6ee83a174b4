import ArgumentParser
import Discovery
import Foundation

/// `meshd bootstrap`: print an Envoy bootstrap for a sidecar (or gateway) that gets everything else from meshd.
struct Bootstrap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an Envoy bootstrap (JSON) that points a proxy at meshd over ADS.")

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

    @Option(name: .long, help: "sidecar or router (a gateway).")
    var type: String = "sidecar"

    @Option(name: .long, help: "meshd's xDS address: HOST:PORT or unix:PATH.")
    var xdsAddress: String = "127.0.0.1:15010"

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

    func run() throws {
        guard type == "sidecar" || type == "router" else {
            throw ValidationError("--type: expected sidecar or router, got \"\(type)\"")
        }
        guard let xds = ListenAddress(xdsAddress) else {
            throw ValidationError("--xds-address: expected HOST:PORT or unix:PATH, got \"\(xdsAddress)\"")
        }
        var labels: [String: String] = [:]
        for pair in label {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("--label: expected key=value, got \"\(pair)\"")
            }
            labels[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        var bootstrap = EnvoyBootstrap(
            kind: type, ip: nodeIP, pod: pod, namespace: namespace, serviceAccount: serviceAccount, labels: labels,
            xds: xds, adminPort: adminPort)
        bootstrap.token = try resolvedToken()
        bootstrap.delta = delta
        if xdsTls {
            guard let rootCert else {
                throw ValidationError("--xds-tls needs --root-cert (the mesh's root certificate)")
            }
            bootstrap.xdsRootCertFile = rootCert
        }
        let document = bootstrap.document
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
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
