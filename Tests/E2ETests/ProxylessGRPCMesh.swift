import Foundation
import MeshTestSupport

/// A mesh for proxyless gRPC clients on 127.0.0.1: meshd (`LoopbackMeshd`, with its TLS xDS port on), two grpcio
/// backends `v1` and `v2` registered as the endpoints of the ServiceEntry `echo.mesh.test:26051` (service account
/// `echo`), and a client bootstrap printed by `meshd bootstrap --grpc`: TLS to meshd with a `meshd token` as call
/// credentials, and with `mtls` the certificate provider reading what `meshd workload-cert` wrote. No Envoy.
struct ProxylessGRPCMesh {
    let meshd: LoopbackMeshd
    let securePort: Int
    let backendPorts: [String: Int]
    let bootstrap: URL

    static let host = "echo.mesh.test"
    static let target = "xds:///\(host):26051"

    /// The mesh's config: the ServiceEntry, subsets v1 and v2 (ISTIO_MUTUAL when `mtls`), and `virtualService`.
    static func config(ports: [String: Int], mtls: Bool, virtualService: String) -> [String: String] {
        let tls = mtls ? "\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL" : ""
        return [
            "echo.yaml": """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: echo
              namespace: default
            spec:
              hosts:
              - \(host)
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - number: 26051
                name: grpc
                protocol: GRPC
              endpoints:
              - address: 127.0.0.1
                ports:
                  grpc: \(ports["v1"] ?? 0)
                labels:
                  version: v1
                serviceAccount: echo
              - address: 127.0.0.1
                ports:
                  grpc: \(ports["v2"] ?? 0)
                labels:
                  version: v2
                serviceAccount: echo
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: echo
              namespace: default
            spec:
              host: \(host)\(tls)
              subsets:
              - name: v1
                labels:
                  version: v1
              - name: v2
                labels:
                  version: v2

            """,
            "vs.yaml": virtualService,
        ]
    }

    /// A VirtualService splitting `echo.mesh.test` by weight between the subsets (a subset of weight 0 is left out).
    static func split(v1: Int, v2: Int) -> String {
        var text = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: echo
              namespace: default
            spec:
              hosts:
              - \(host)
              http:
              - route:

            """
        for (subset, weight) in [("v1", v1), ("v2", v2)] where weight > 0 {
            text += "    - destination:\n        host: \(host)\n        subset: \(subset)\n      weight: \(weight)\n"
        }
        return text
    }

    /// Starts everything, runs `body`, and stops the backends and meshd again.
    static func with(
        mtls: Bool = false, virtualService: String = split(v1: 100, v2: 0),
        _ body: (ProxylessGRPCMesh) async throws -> Void
    ) async throws {
        let ports = ["v1": try MeshdProcess.freeLocalPort(), "v2": try MeshdProcess.freeLocalPort()]
        let securePort = try MeshdProcess.freeLocalPort()
        try await LoopbackMeshd.with(
            files: config(ports: ports, mtls: mtls, virtualService: virtualService),
            extraArguments: ["--secure-xds-address", "127.0.0.1:\(securePort)"]
        ) { meshd in
            let state = meshd.directory.appendingPathComponent("ca").path
            _ = try await Poll.until("meshd's root certificate", timeout: .seconds(30)) { () -> Bool? in
                FileManager.default.fileExists(atPath: "\(state)/root-cert.pem") ? true : nil
            }
            let serverCerts = meshd.directory.appendingPathComponent("echo-certs").path
            let clientCerts = meshd.directory.appendingPathComponent("client-certs").path
            try Self.check(
                [
                    try MeshdProcess.executable(), "workload-cert", "--state-dir", state, "--namespace", "default",
                    "--service-account", "echo", "--out", serverCerts,
                ])
            try Self.check(
                [
                    try MeshdProcess.executable(), "workload-cert", "--state-dir", state, "--namespace", "default",
                    "--service-account", "client", "--out", clientCerts,
                ])
            // `--out` writes the token without a trailing newline, which gRPC would send as part of the header.
            let tokenFile = meshd.directory.appendingPathComponent("client.token")
            try Self.check(
                [
                    try MeshdProcess.executable(), "token", "--state-dir", state, "--namespace", "default",
                    "--service-account", "client", "--ttl", "1h", "--out", tokenFile.path,
                ])
            let bootstrapJSON = try Self.check(
                [
                    try MeshdProcess.executable(), "bootstrap", "--grpc", "--node-ip", "127.0.0.1", "--pod", "client",
                    "--namespace", "default", "--service-account", "client", "--label", "app=client",
                    "--xds-address", "localhost:\(securePort)", "--xds-tls", "--root-cert", "\(state)/root-cert.pem",
                    "--token-file", tokenFile.path, "--cert-dir", clientCerts,
                ])
            let bootstrap = meshd.directory.appendingPathComponent("grpc-bootstrap.json")
            try bootstrapJSON.write(to: bootstrap, atomically: true, encoding: .utf8)

            var backends: [ManagedProcess] = []
            defer { for backend in backends { backend.stop(grace: .milliseconds(200)) } }
            for (name, port) in ports.sorted(by: { $0.key < $1.key }) {
                let backend = try ManagedProcess.start(
                    name: "grpc-\(name)",
                    argv: [RepositoryPaths.venvPython, "-u", serverScript, name, "\(port)"]
                        + (mtls ? ["--tls", serverCerts] : []),
                    logFile: meshd.directory.appendingPathComponent("grpc-\(name).log"))
                backends.append(backend)
                try await LoopbackMeshd.waitForOutput(backend, "serving \(name)")
            }
            try await body(
                ProxylessGRPCMesh(meshd: meshd, securePort: securePort, backendPorts: ports, bootstrap: bootstrap))
        }
    }

    /// Runs `argv` and returns its standard output, or throws with its stderr if it failed.
    @discardableResult
    static func check(_ argv: [String]) throws -> String {
        let result = try Subprocess.run(argv, timeout: .seconds(60))
        guard result.succeeded else {
            throw HarnessError("`\(argv.joined(separator: " "))` exited with \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    /// The client script's argv under this mesh's bootstrap, with what grpcio 1.85 needs switched on: bootstrap call
    /// credentials, and reading the server's `resource_errors` (gRFC A88).
    func clientArgv(_ arguments: [String], target: String = Self.target) -> [String] {
        [
            "/usr/bin/env", "GRPC_XDS_BOOTSTRAP=\(bootstrap.path)", "GRPC_EXPERIMENTAL_XDS_BOOTSTRAP_CALL_CREDS=true",
            "GRPC_EXPERIMENTAL_XDS_DATA_ERROR_HANDLING=true",
            RepositoryPaths.venvPython, "-u", Self.clientScript, arguments[0], target,
        ] + arguments.dropFirst()
    }

    /// Runs the client to completion and decodes the JSON line it prints.
    func client(_ arguments: [String], target: String = Self.target) async throws -> [String: Any] {
        let result = try await Subprocess.runInBackground(clientArgv(arguments, target: target), timeout: .seconds(120))
        guard result.succeeded,
            let line = result.stdout.split(separator: "\n").last,
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw HarnessError(
                "grpc_xds_client.py \(arguments) exited \(result.status): \(result.stdout.suffix(500)) \(result.stderr.suffix(2000))"
            )
        }
        return json
    }

    /// Replaces the VirtualService file (meshd watches its config directory).
    func writeVirtualService(_ yaml: String) throws {
        try yaml.write(
            to: meshd.directory.appendingPathComponent("config/vs.yaml"), atomically: true, encoding: .utf8)
    }

    static let clientScript = RepositoryPaths.root.appendingPathComponent("Tests/E2ETests/Clients/grpc_xds_client.py")
        .path
    static let serverScript = RepositoryPaths.root.appendingPathComponent("Tests/E2ETests/Clients/grpc_echo_server.py")
        .path
}
