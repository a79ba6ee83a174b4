import Foundation
import MeshTestSupport
import Testing

@testable import Injection
@testable import meshd

/// The sidecar's entrypoint renders a bootstrap that the real Envoy accepts.
@Suite(.tags(.envoy, .root)) struct InjectBootstrapTests {
    /// Runs the injected entrypoint with the downward-API variables set, a token file, and `envoy` on PATH
    /// replaced by the real Envoy in `--mode validate`, which loads and checks the whole bootstrap.
    @Test func renderedBootstrapIsAcceptedByEnvoy() throws {
        let envoy = try EnvoyBinary.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrapper = directory.appendingPathComponent("bin/envoy")
        try "#!/bin/sh\nexec \(envoy) --mode validate \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let token = directory.appendingPathComponent("istio-token")
        try "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiaXN0aW8tY2EiXX0.c2lnbmF0dXJl\n".write(
            to: token, atomically: true, encoding: .utf8)

        var settings = InjectSettings()
        settings.plaintext = true  // the TLS variant names /var/run/secrets/istio/root-cert.pem, absent here
        let template = try InjectBootstrap.template(
            labels: ["app": "reviews", "version": "v1"], namespace: "bookinfo", settings: settings)
        let script = InjectBootstrap.entrypoint().replacingOccurrences(of: InjectSettings.tokenPath, with: token.path)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "\(directory.path)/bin:\(environment["PATH"] ?? "/usr/bin:/bin")"
        environment["INSTANCE_IP"] = "10.44.0.10"
        environment["POD_NAME"] = "reviews-v1-7d9c-abcde"
        environment["POD_NAMESPACE"] = "bookinfo"
        environment["SERVICE_ACCOUNT"] = "bookinfo-reviews"
        environment[InjectBootstrap.templateVariable] = template
        let result = try Subprocess.run(["/bin/sh", "-c", script], environment: environment, timeout: .seconds(60))
        #expect(
            result.succeeded, "envoy --mode validate refused the rendered bootstrap:\n\(result.stdout)\(result.stderr)")

        // The placeholders are all filled, the way the entrypoint fills them.
        let rendered = try Subprocess.run(
            ["/bin/sh", "-c", script.replacingOccurrences(of: "exec envoy", with: "printf '%s' \"$config\" #")],
            environment: environment)
        #expect(
            rendered.stdout.contains("sidecar~10.44.0.10~reviews-v1-7d9c-abcde.bookinfo~bookinfo.svc.cluster.local"))
        #expect(rendered.stdout.contains("Bearer eyJhbGciOiJSUzI1NiJ9."))
        #expect(!rendered.stdout.contains("__"), "an unfilled placeholder: \(rendered.stdout)")
    }

    /// The injected sidecar starts without Envoy's "no configured limit to the number of allowed active downstream
    /// connections" warning: the bootstrap sets Istio's limit in the overload manager. The control (the same
    /// bootstrap without it) shows the warning, so the check sees it when it is there.
    @Test func injectedEnvoyStartsWithoutTheConnectionLimitWarning() async throws {
        var settings = InjectSettings()
        settings.plaintext = true
        settings.meshdAddress = .tcp(host: "127.0.0.1", port: try MeshdProcess.freeLocalPort())  // nothing listens
        let template = try InjectBootstrap.template(labels: ["app": "reviews"], namespace: "default", settings: settings)
        #expect(template.contains("envoy.resource_monitors.global_downstream_max_connections"))
        #expect(template.contains("\"max_active_downstream_connections\":2147483647"))

        let withLimit = try await Self.startupLog(template: template)
        #expect(withLimit.contains("starting main dispatch loop"), "Envoy did not start:\n\(withLimit.suffix(2000))")
        #expect(!withLimit.contains("no configured limit"), "Envoy warned about the connection limit")
        #expect(!withLimit.contains("deprecated"), "Envoy logged a deprecation:\n\(withLimit.suffix(2000))")

        var document = try #require(try JSONSerialization.jsonObject(with: Data(template.utf8)) as? [String: Any])
        document["overload_manager"] = nil
        let withoutLimit = try await Self.startupLog(
            template: String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self))
        #expect(withoutLimit.contains("no configured limit"), "the control did not warn:\n\(withoutLimit.suffix(2000))")
    }

    /// Runs the injected entrypoint with the real Envoy (admin on a free port, log level info) until Envoy has
    /// started its main loop, then stops it and returns its log.
    static func startupLog(template: String) async throws -> String {
        let envoy = try EnvoyBinary.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-inject-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrapper = directory.appendingPathComponent("bin/envoy")
        let script = """
            #!/bin/bash
            args=()
            for arg in "$@"; do [[ "$arg" == warning ]] && arg=info; args+=("$arg"); done
            exec \(envoy) "${args[@]}"

            """
        try script.write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let token = directory.appendingPathComponent("istio-token")
        try "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiaXN0aW8tY2EiXX0.c2lnbmF0dXJl\n".write(
            to: token, atomically: true, encoding: .utf8)
        let adminPort = try MeshdProcess.freeLocalPort()
        let rendered = template.replacingOccurrences(
            of: "\"port_value\":\(InjectSettings.proxyAdminPort)", with: "\"port_value\":\(adminPort)")
        let entrypoint = InjectBootstrap.entrypoint().replacingOccurrences(
            of: InjectSettings.tokenPath, with: token.path)
        let log = directory.appendingPathComponent("envoy.log")
        let process = try ManagedProcess.start(
            name: "envoy",
            argv: [
                "/usr/bin/env", "PATH=\(directory.path)/bin:/usr/bin:/bin", "INSTANCE_IP=10.44.0.10",
                "POD_NAME=reviews-v1-abcde", "POD_NAMESPACE=bookinfo", "SERVICE_ACCOUNT=bookinfo-reviews",
                "\(InjectBootstrap.templateVariable)=\(rendered)", "/bin/sh", "-c", entrypoint,
            ], logFile: log)
        defer { process.stop() }
        _ = try? await Poll.until("the injected Envoy to start", timeout: .seconds(30)) { () -> Bool? in
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.contains("starting main dispatch loop") || !process.isRunning ? true : nil
        }
        return (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }
}
