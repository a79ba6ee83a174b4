import ArgumentParser
import Foundation
import Injection
import MeshModel

extension BootstrapEnvoyFilters {
    /// Reads the EnvoyFilters (other kinds are ignored) of `paths`; any invalid object stops the command with its
    /// errors, as `meshd validate` prints them.
    static func load(_ paths: [String]) throws -> BootstrapEnvoyFilters? {
        guard !paths.isEmpty else { return nil }
        var errors: [String] = []
        var objects: [ConfigObject] = []
        for file in ApplyPlan.yamlFiles(paths, errors: &errors) {
            guard let data = FileManager.default.contents(atPath: file) else {
                errors.append("\(file): cannot read file")
                continue
            }
            let result = ConfigDecoder.decode(bytes: Array(data), file: file)
            errors += result.errors.map(\.description)
            objects += result.objects.filter { $0.key.kind == .envoyFilter }
        }
        guard errors.isEmpty else {
            throw ValidationError("--envoy-filters:\n" + errors.joined(separator: "\n"))
        }
        return BootstrapEnvoyFilters(snapshot: MeshSnapshot.build(from: objects))
    }

}
