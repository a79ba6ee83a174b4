import AdminFuzzTarget
import Foundation
import FuzzTargets
import MeshTestSupport
import Testing

/// Every saved fuzz input, run through its target's entry point as `Scripts/fuzz` runs it under libFuzzer.
/// Inputs live in `Tests/FuzzRegressionTests/Inputs/<target>/`: the seeds, and every crash a campaign found
/// (named `crash-*`), kept after its fix so it can never come back. A crash here stops the test process.
@Suite("Fuzz regression inputs")
struct FuzzRegressionTests {
    static let inputs = RepositoryPaths.root.appendingPathComponent("Tests/FuzzRegressionTests/Inputs")

    static func files(of target: String) -> [URL] {
        let directory = inputs.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("every target has inputs, and every input runs to completion", arguments: FuzzTargets.names + ["admin"])
    func inputsRun(target: String) async throws {
        let files = Self.files(of: target)
        #expect(files.count >= 3, "Tests/FuzzRegressionTests/Inputs/\(target) holds seeds")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            if target == "admin" {
                await AdminFuzzTarget.admin(bytes)
            } else {
                FuzzTargets.run(target, bytes)
            }
        }
    }
}
