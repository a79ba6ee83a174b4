import ArgumentParser
import Discovery
import Injection
import Foundation

/// `meshd inject`: manual sidecar injection, like `istioctl kube-inject`.
struct Inject: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add meshd's sidecar (iptables init container, Envoy, token volume) to Kubernetes workloads.",
        discussion: """
            Reads multi-document YAML and writes it to standard output with every Pod, Deployment, StatefulSet, \
            DaemonSet and Job given the sidecar. Other objects pass through unchanged. Pods labelled or annotated \
            sidecar.istio.io/inject: "false" are left alone. The proxy takes concurrency, image type and environment \
            variables from the mesh config's defaultConfig and the ProxyConfigs (--mesh-config, --proxy-config), \
            merged per workload as istiod merges them, and EnvoyFilter BOOTSTRAP patches from --envoy-filters. Example:
              meshd inject -f deployment.yaml | kubectl apply -f -
            """)

    @Option(name: [.short, .customLong("filename")], help: "The YAML file to inject; - for standard input.")
    var file: String

    @Option(name: .long, help: "meshd's xDS address as pods reach it: HOST:PORT.")
    var meshdAddress: String = "istiod.istio-system.svc:15012"

    @Flag(
        name: .long,
        help: "Talk to meshd in plaintext (port 15010) instead of TLS checked against the istio-ca-root-cert ConfigMap."
    )
    var xdsPlaintext = false

    @Option(name: .long, help: "The Envoy sidecar image.")
    var image: String = InjectSettings().proxyImage

    @Option(name: .long, help: "The init container image; it needs sh and iptables-restore (the meshd image has both).")
    var initImage: String = InjectSettings().initImage

    @Flag(
        inversion: .prefixedNo,
        help:
            "Run the sidecar as a native sidecar (an init container with restartPolicy: Always; Kubernetes 1.29 or later)."
    )
    var nativeSidecar = true

    @Option(name: .long, help: "Lifetime in seconds of the projected istio-ca token (Envoy reads it at start-up).")
    var tokenExpirationSeconds: Int = InjectSettings().tokenExpirationSeconds

    @Option(name: .long, help: "The namespace of workloads whose metadata names none (for ProxyConfig selection).")
    var namespace: String = "default"

    @OptionGroup var proxyConfigInput: ProxyConfigInput

    @Option(
        name: .long,
        help:
            "A YAML file or directory of EnvoyFilters whose BOOTSTRAP patches selecting a workload are merged into its sidecar's bootstrap; repeat for more."
    )
    var envoyFilters: [String] = []

    func run() throws {
        var settings = InjectSettings()
        guard let address = ListenAddress(meshdAddress), case .tcp = address else {
            throw ValidationError("--meshd-address: expected HOST:PORT, got \"\(meshdAddress)\"")
        }
        guard tokenExpirationSeconds >= 600 else {
            throw ValidationError("--token-expiration-seconds: Kubernetes requires at least 600")
        }
        settings.meshdAddress = address
        settings.plaintext = xdsPlaintext
        settings.proxyImage = image
        settings.initImage = initImage
        settings.nativeSidecar = nativeSidecar
        settings.tokenExpirationSeconds = tokenExpirationSeconds
        settings.namespace = namespace
        settings.mesh = try proxyConfigInput.snapshot()
        settings.bootstrapPatches = try BootstrapEnvoyFilters.load(envoyFilters)

        let input: Data
        if file == "-" {
            input = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("-f: cannot read \(file)")
            }
            input = data
        }
        guard let text = String(data: input, encoding: .utf8) else {
            throw ValidationError("-f: \(file) is not UTF-8 text")
        }
        do {
            print(try SidecarInjector(settings: settings).inject(yaml: text), terminator: "")
        } catch let error as InjectError {
            throw ValidationError("\(file == "-" ? "standard input" : file): \(error)")
        }
    }
}
