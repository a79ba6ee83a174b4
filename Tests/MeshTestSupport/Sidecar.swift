import Foundation

/// A real Envoy running as a pod's sidecar: uid 1337 in the pod's namespace, admin on the pod's 127.0.0.1:15000.
public final class Sidecar: Sendable {
    public static let adminPort = 15000

    public let pod: Pod
    public let process: ManagedProcess
    /// The Envoy release this sidecar runs.
    public let release: EnvoyRelease

    init(pod: Pod, process: ManagedProcess, release: EnvoyRelease) {
        self.pod = pod
        self.process = process
        self.release = release
    }

    /// Envoy's pid; it stays the same for as long as Envoy is not restarted.
    public var pid: Int32 { process.pid }

    /// GETs an admin path such as `/ready`, `/clusters` or `/config_dump?include_eds`.
    public func admin(_ path: String) throws -> HTTPResponse {
        try pod.localGet(port: Self.adminPort, path: path)
    }

    /// Waits until `/ready` answers 200, which Envoy does once its initial xDS fetches are done.
    public func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
        _ = try await Poll.until("Envoy in pod \(pod.name) to be ready", timeout: timeout) { () -> Bool? in
            try process.checkRunning()
            let ready = try admin("/ready")
            return ready.status == 200 ? true : nil
        }
    }

    /// Envoy's `/config_dump` (with EDS), parsed.
    public func configDump() throws -> EnvoyConfigDump {
        let response = try admin("/config_dump?include_eds")
        guard response.status == 200 else {
            throw HarnessError("config_dump of \(pod.name) answered \(response.status): \(response.body.prefix(300))")
        }
        return try EnvoyConfigDump(json: response.json())
    }

    /// The raw value of each stat whose name matches `regex` (Envoy's `/stats?filter=`): a number for counters
    /// and gauges, a quoted string for text readouts.
    public func stats(matching regex: String) throws -> [String: String] {
        let query = regex.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? regex
        let response = try admin("/stats?filter=\(query)")
        guard response.status == 200 else { throw HarnessError("stats of \(pod.name) answered \(response.status)") }
        var values: [String: String] = [:]
        for line in response.body.split(whereSeparator: \.isNewline) {
            // `<name>: <value>`; stat names contain no ": ".
            guard let separator = line.range(of: ": ", options: .backwards) else { continue }
            values[String(line[..<separator.lowerBound])] = String(line[separator.upperBound...])
        }
        return values
    }

    /// One counter by exact name, 0 when Envoy has not created it yet.
    public func counter(_ name: String) throws -> Int {
        let escaped = NSRegularExpression.escapedPattern(for: name)
        return try stats(matching: "^\(escaped)$")[name].flatMap { Int($0) } ?? 0
    }

    /// The EDS version Envoy last accepted for each of `clusters`: its `cluster.<name>.version_text` text readout
    /// (`/config_dump?include_eds` leaves `version_info` of endpoint configs empty).
    public func edsVersions(of clusters: [String]) throws -> [String: String] {
        let readouts = try stats(matching: "^cluster\\..*\\.version_text$")
        var versions: [String: String] = [:]
        for cluster in clusters {
            guard let quoted = readouts["cluster.\(cluster).version_text"] else { continue }
            versions[cluster] = quoted.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return versions
    }
}

extension Pod {
    /// Starts Envoy as this pod's sidecar, as Istio does: in the pod's namespace, as uid/gid 1337 with no
    /// capabilities, one worker thread, hot restart off. Envoy's log goes to `<directory>/envoy.log`, and a copy
    /// of the bootstrap to `<directory>/bootstrap.json`; Envoy reads its own copy from the network's scratch
    /// directory, which uid 1337 can reach wherever the checkout is. `envoyArguments` go after the defaults (e.g.
    /// the drain flags istio-proxy runs with). `release` picks the Envoy (`EnvoyRelease.matrix` for the older ones).
    public func startSidecar(
        bootstrapJSON: String, envoyArguments: [String] = [], release: EnvoyRelease = .main
    ) throws -> Sidecar {
        let envoy = try EnvoyBinary.path(release)
        try bootstrapJSON.write(
            to: directory.appendingPathComponent("bootstrap.json"), atomically: true, encoding: .utf8)
        let bootstrap = scratchDirectory.appendingPathComponent("\(name)-bootstrap.json")
        try bootstrapJSON.write(to: bootstrap, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: bootstrap.path)
        let uid = EnvoyBinary.proxyUID
        let process = try start(
            [
                "setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--inh-caps=-all",
                envoy, "-c", bootstrap.path, "--disable-hot-restart", "--log-level", "info", "--concurrency", "1",
            ] + envoyArguments, logName: "envoy")
        return Sidecar(pod: self, process: process, release: release)
    }
}
