import Foundation
import MeshTestSupport
import Testing

/// Issue 12, item 4: a meshd out of file descriptors once logged every config file as removed and pushed an empty
/// snapshot. Here a real `meshd serve` has its descriptor limit lowered (prlimit, from util-linux) below what it
/// holds, so every new open fails with EMFILE, while its config directory is edited. Nothing may be removed, the
/// failure must be logged and counted, and the edit must arrive once descriptors are available again.
@Suite("File source under descriptor exhaustion", .tags(.e2e))
struct FileSourceDescriptorExhaustionTests {
    static let ratings = """
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: default}
        spec: {ports: [{name: http, port: 9080}]}

        """

    static let details = """
        apiVersion: v1
        kind: Service
        metadata: {name: details, namespace: default}
        spec: {ports: [{name: http, port: 9080}]}

        """

    @Test(.timeLimit(.minutes(3)))
    func outOfDescriptorsRemovesNothingAndTheEditArrivesAfter() async throws {
        try await MeshNetwork.with(label: "fdlimit") { network in
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "reviews.yaml": ReviewsConfig.serviceAndSubsets, "ratings.yaml": Self.ratings,
                    "details.yaml": Self.details,
                ])
            let before = Set(try meshd.configz().objects.map(\.key))
            try #require(
                before.contains("Service/default/ratings") && before.contains("DestinationRule/default/reviews"))
            let pid = meshd.process.pid

            // A soft limit of 3, below every descriptor meshd holds past stdio: its next open, opendir or accept
            // fails with EMFILE, while the descriptors it has (log, sockets, inotify) keep working.
            let original = try limits(of: pid)
            try prlimit(pid: pid, noFile: "3:\(original.hard)")
            var restored = false
            defer { if !restored { try? prlimit(pid: pid, noFile: "\(original.soft):\(original.hard)") } }

            try meshd.writeConfig("ratings.yaml", Self.ratings.replacingOccurrences(of: "ratings", with: "ratings-v2"))
            try meshd.writeConfig("details.yaml", Self.details + "---\n" + Self.ratings)
            _ = try await Poll.until("the scan to fail with EMFILE", timeout: .seconds(30)) { () -> Bool? in
                try meshd.process.checkRunning()
                return meshd.process.logTail(maxBytes: 20000).contains("Too many open files") ? true : nil
            }
            // Several scans fail meanwhile (the poll retries every 200 ms to 1 s).
            try await Task.sleep(for: .seconds(2))

            try prlimit(pid: pid, noFile: "\(original.soft):\(original.hard)")
            restored = true
            let after = try await Poll.until("the edit to arrive", timeout: .seconds(30)) { () -> Set<String>? in
                let response = try meshd.admin("/debug/configz")
                guard response.status == 200 else { return nil }
                let keys = Set(try response.decode(ConfigStatus.self).objects.map(\.key))
                return keys.contains("Service/default/ratings-v2") ? keys : nil
            }
            #expect(before.isSubset(of: after), "lost \(before.subtracting(after).sorted())")

            let log = meshd.process.logTail(maxBytes: 200_000)
            #expect(!log.contains("was removed"), "meshd logged a removal:\n\(log.suffix(3000))")
            let changes = try meshd.admin("/debug/changes").body
            #expect(!changes.contains("\"removed\""), "a published change removed objects: \(changes.prefix(3000))")
            let metrics = try meshd.admin("/metrics").body
            let failures = metrics.split(separator: "\n").filter {
                $0.hasPrefix("meshd_config_source_errors_total") && $0.contains("source=\"file\"")
            }
            #expect(!failures.isEmpty, "no meshd_config_source_errors_total{source=\"file\"} in /metrics")
        }
    }

    /// The soft and hard RLIMIT_NOFILE of a process, as `prlimit` reports them.
    func limits(of pid: Int32) throws -> (soft: String, hard: String) {
        let result = try Subprocess.run(
            ["/usr/bin/prlimit", "--pid", "\(pid)", "--nofile", "--raw", "--noheadings", "--output=SOFT,HARD"],
            timeout: .seconds(10))
        let fields = result.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        guard result.succeeded, fields.count == 2 else {
            throw HarnessError("prlimit --nofile: \(result.stdout) \(result.stderr)")
        }
        return (fields[0], fields[1])
    }

    func prlimit(pid: Int32, noFile: String) throws {
        let result = try Subprocess.run(
            ["/usr/bin/prlimit", "--pid", "\(pid)", "--nofile=\(noFile)"], timeout: .seconds(10))
        guard result.succeeded else { throw HarnessError("prlimit --nofile=\(noFile) failed: \(result.stderr)") }
    }
}
