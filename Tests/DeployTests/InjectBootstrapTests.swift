import Foundation
import MeshTestSupport
import Testing

@testable import meshd

/// The sidecar's entrypoint renders a bootstrap that the real Envoy accepts.
@Suite struct InjectBootstrapTests {
    /// Runs the injected entrypoint with the downward-API variables set, a token file, and `envoy` on PATH
    /// replaced by the real Envoy in `--mode validate`, which loads and checks the whole bootstrap.
    @Test func renderedBootstrapIsAcceptedByEnvoy() throws {
        let envoy = try EnvoyBinary.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrapper = directory.appendingPathComponent("bin/envoy")
        try "#!/bin/sh\nexec \(envoy) --mode validate \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let token = directory.appendingPathComponent("istio-token")
        try "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiaXN0aW8tY2EiXX0.c2lnbmF0dXJl\n".write(to: token, atomically: true, encoding: .utf8)

        var settings = InjectSettings()
        settings.plaintext = true  // the TLS variant names /var/run/secrets/istio/root-cert.pem, absent here
        let template = try InjectBootstrap.template(labels: ["app": "reviews", "version": "v1"], settings: settings)
        let script = InjectBootstrap.entrypoint.replacingOccurrences(of: InjectSettings.tokenPath, with: token.path)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "\(directory.path)/bin:\(environment["PATH"] ?? "/usr/bin:/bin")"
        environment["INSTANCE_IP"] = "10.44.0.10"
        environment["POD_NAME"] = "reviews-v1-7d9c-abcde"
        environment["POD_NAMESPACE"] = "bookinfo"
        environment["SERVICE_ACCOUNT"] = "bookinfo-reviews"
        environment[InjectBootstrap.templateVariable] = template
        let result = try Subprocess.run(["/bin/sh", "-c", script], environment: environment, timeout: .seconds(60))
        #expect(result.succeeded, "envoy --mode validate refused the rendered bootstrap:\n\(result.stdout)\(result.stderr)")

        // The placeholders are all filled, the way the entrypoint fills them.
        let rendered = try Subprocess.run(
            ["/bin/sh", "-c", script.replacingOccurrences(of: "exec envoy", with: "printf '%s' \"$config\" #")],
            environment: environment)
        #expect(rendered.stdout.contains("sidecar~10.44.0.10~reviews-v1-7d9c-abcde.bookinfo~bookinfo.svc.cluster.local"))
        #expect(rendered.stdout.contains("Bearer eyJhbGciOiJSUzI1NiJ9."))
        #expect(!rendered.stdout.contains("__"), "an unfilled placeholder: \(rendered.stdout)")
    }
}
