import Foundation
import MeshTestSupport
import Testing

@testable import Injection
@testable import meshd

/// Every manifest in Deploy/ and `meshd inject` output pass the Kubernetes schemas, offline, with
/// `kubernetes-validate` (installed into .venv by Scripts/test; it bundles the schemas).
@Suite(.tags(.python)) struct ManifestValidationTests {
    static let kubernetesVersion = "1.29.0"  // the oldest with native sidecars (restartPolicy: Always)

    /// Runs the validator in strict mode (unknown fields are errors) and fails with its output.
    func validate(_ files: [String]) throws {
        let result = try Subprocess.run(
            [
                RepositoryPaths.venvPython, "-m", "kubernetes_validate", "--strict", "--no-warn",
                "--kubernetes-version", Self.kubernetesVersion,
            ] + files,
            timeout: .seconds(120))
        #expect(
            result.succeeded,
            "kubernetes-validate failed (run Scripts/test once to install it):\n\(result.stdout)\(result.stderr)")
    }

    static func deployManifests() throws -> [String] {
        let directory = RepositoryPaths.root.appendingPathComponent("Deploy/kubernetes")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
    }

    @Test func deployManifestsAreValidKubernetesObjects() throws {
        let files = try Self.deployManifests()
        #expect(files.count >= 7, "Deploy/kubernetes holds the install manifests")
        try validate(files)
    }

    @Test(arguments: [true, false])
    func injectOutputIsValid(nativeSidecar: Bool) throws {
        var settings = InjectSettings()
        settings.nativeSidecar = nativeSidecar
        let workloads =
            nativeSidecar ? InjectSamples.bookinfo + "---\n" + InjectSamples.otherWorkloads : InjectSamples.bookinfo
        let output = try SidecarInjector(settings: settings).inject(yaml: workloads)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshd-inject-\(UUID().uuidString).yaml")
        try output.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try validate([file.path])
    }

    /// Pods as the injection webhook leaves them (the same code, with the pod's annotations: resources, probes, a
    /// hold and a drain), both as a native sidecar and as an ordinary container, pass the schemas too.
    @Test(arguments: [true, false])
    func annotatedPodsInjectedAsTheWebhookDoesAreValid(nativeSidecar: Bool) throws {
        var settings = InjectSettings()
        settings.nativeSidecar = nativeSidecar
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: default
              labels: {app: web}
              annotations:
                sidecar.istio.io/proxyCPU: 250m
                sidecar.istio.io/proxyMemoryLimit: 512Mi
                traffic.sidecar.istio.io/excludeOutboundPorts: "5432"
                proxy.istio.io/config: |
                  holdApplicationUntilProxyStarts: true
                  terminationDrainDuration: 10s
            spec:
              containers:
              - name: web
                image: nginx
            """
        let output = try SidecarInjector(settings: settings).inject(yaml: pod)
        #expect(output.contains(nativeSidecar ? "startupProbe" : "postStart"))
        #expect(output.contains("readinessProbe") && output.contains("preStop"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-webhook-\(UUID().uuidString).yaml")
        try output.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try validate([file.path])
    }

    /// The validator really rejects a bad manifest, so the tests above can fail.
    @Test func validatorRejectsAnUnknownField() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-bad-\(UUID().uuidString).yaml")
        try "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {portz: []}\n".write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Subprocess.run(
            [RepositoryPaths.venvPython, "-m", "kubernetes_validate", "--strict", "--no-warn", file.path])
        #expect(!result.succeeded)
        #expect(result.stdout.contains("portz"))
    }
}
