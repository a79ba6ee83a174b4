import Foundation
import MeshTestSupport
import Testing

/// Issue 13, item 8, through the real `meshd serve`: its config directory is a git work tree, and
/// `git checkout HEAD -- .` (which unlinks and rewrites every file with identical content) and an `rm` plus
/// restore publish no change at all; a `git pull` of a new commit publishes one change that removes nothing.
@Suite("File source under git", .tags(.e2e))
struct FileSourceGitTests {
    struct Change: Decodable {
        struct Object: Decodable {
            var key: String
            var action: String
        }

        var id: Int
        var objects: [Object]
    }

    static let ratings = """
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: default}
        spec: {ports: [{name: http, port: 9080}]}

        """

    @Test(.timeLimit(.minutes(3)))
    func gitCheckoutPublishesNothingAndGitPullRemovesNothing() async throws {
        try await MeshNetwork.with(label: "gitsrc") { network in
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: ["reviews.yaml": ReviewsConfig.serviceAndSubsets, "ratings.yaml": Self.ratings])
            let repository = meshd.configDirectory.path
            let upstream = network.scratchDirectory.appendingPathComponent("upstream").path
            try git(["init", "-q", upstream])
            try FileManager.default.copyItem(atPath: repository + "/reviews.yaml", toPath: upstream + "/reviews.yaml")
            try FileManager.default.copyItem(atPath: repository + "/ratings.yaml", toPath: upstream + "/ratings.yaml")
            try git(["-C", upstream, "add", "."])
            try git(["-C", upstream, "commit", "-q", "-m", "mesh"])
            // The running meshd's directory becomes a clone of upstream with the same content.
            try git(["-C", repository, "init", "-q"])
            try git(["-C", repository, "remote", "add", "origin", upstream])
            try git(["-C", repository, "fetch", "-q", "origin"])
            let branch = try git(["-C", upstream, "rev-parse", "--abbrev-ref", "HEAD"])
            try git(["-C", repository, "checkout", "-q", "-f", "-B", branch, "origin/\(branch)"])
            try git(["-C", repository, "branch", "-q", "--set-upstream-to=origin/\(branch)"])
            let first = try changes(meshd)
            let before = Set(try meshd.configz().objects.map(\.key))

            for round in 0..<6 {
                if round % 2 == 1 {
                    try FileManager.default.removeItem(atPath: repository + "/reviews.yaml")
                }
                try git(["-C", repository, "checkout", "HEAD", "--", "."])
            }
            // A pull that edits ratings: the next change must be that one alone, removing nothing.
            try Self.ratings.replacingOccurrences(of: "9080", with: "9081")
                .write(toFile: upstream + "/ratings.yaml", atomically: false, encoding: .utf8)
            try git(["-C", upstream, "commit", "-q", "-am", "ratings 9081"])
            try git(["-C", repository, "pull", "-q", "--ff-only"])
            let after = try await Poll.until("the pulled change", timeout: .seconds(20)) { () -> [Change]? in
                let list = try changes(meshd)
                return list.count > first.count ? list : nil
            }
            // Let anything else that was going to be published arrive.
            try await Task.sleep(for: .seconds(2))
            let settled = try changes(meshd)
            let new = settled.filter { change in !first.contains { $0.id == change.id } }
            #expect(
                new.count == 1,
                "changes after the checkouts: \(new.map { $0.objects.map { "\($0.action) \($0.key)" } })")
            #expect(new.first?.objects.map(\.key) == ["Service/default/ratings"])
            #expect(new.allSatisfy { $0.objects.allSatisfy { $0.action != "removed" } })
            #expect(after.count >= first.count + 1)
            #expect(before.isSubset(of: Set(try meshd.configz().objects.map(\.key))))
        }
    }

    func changes(_ meshd: MeshdProcess) throws -> [Change] {
        let response = try meshd.admin("/debug/changes")
        guard response.status == 200 else { throw HarnessError("/debug/changes answered \(response.status)") }
        return try response.decode([Change].self)
    }

    @discardableResult
    func git(_ arguments: [String]) throws -> String {
        let result = try Subprocess.run(
            ["/usr/bin/git", "-c", "user.name=meshd-test", "-c", "user.email=test@meshd.invalid"] + arguments,
            timeout: .seconds(30))
        guard result.succeeded else { throw HarnessError("git \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
