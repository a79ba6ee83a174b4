import AdminServer
import ArgumentParser
import Discovery
import Logging
import Registry
import ServiceLifecycle
import XDSServer

/// `meshd serve`: watch a config directory and serve xDS to every connected proxy.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the control plane on a directory of Istio and Kubernetes YAML.")

    @Option(name: .long, help: "Directory of multi-document YAML, read recursively and watched for changes.")
    var configDir: String

    @Option(name: .long, help: "Where xDS (ADS over gRPC, plaintext) listens: HOST:PORT or unix:PATH.")
    var xdsAddress: String = "127.0.0.1:15010"

    @Option(name: .long, help: "Where the admin HTTP server listens: HOST:PORT.")
    var adminAddress: String = "127.0.0.1:15014"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
        guard let xds = ListenAddress(xdsAddress) else {
            throw ValidationError("--xds-address: expected HOST:PORT or unix:PATH, got \"\(xdsAddress)\"")
        }
        guard case .tcp(let adminHost, let adminPort)? = ListenAddress(adminAddress) else {
            throw ValidationError("--admin-address: expected HOST:PORT, got \"\(adminAddress)\"")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "meshd")

        let store = ConfigStore(logger: logger)
        let source = FileSource(directory: configDir, store: store, logger: logger)
        do {
            try source.loadOnce()
        } catch {
            throw ValidationError("--config-dir: \(error)")
        }
        let readiness = Readiness()
        let provider = MeshResourceProvider(snapshot: store.snapshot())
        let ads = ADSServer(provider: provider, logger: logger)
        let services: [any Service] = [
            source,
            SnapshotPushService(store: store, provider: provider, ads: ads, readiness: readiness, logger: logger),
            XDSGRPCService(address: xds, provider: provider, ads: ads, readiness: readiness, logger: logger),
            AdminServer(host: adminHost, port: adminPort, store: store, ads: ads, readiness: readiness, logger: logger),
        ]
        logger.info("meshd starting", metadata: ["config-dir": "\(configDir)", "xds": "\(xds)", "admin": "\(adminAddress)"])
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        logger.info("meshd stopped")
    }
}
