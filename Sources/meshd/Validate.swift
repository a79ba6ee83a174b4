import ArgumentParser
import Foundation
import Logging
import MeshModel
import Registry

/// `meshd validate`: check configuration without running anything.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a YAML file or a directory of them; exit non-zero on errors.")

    @Argument(help: "A YAML file, or a directory read recursively.")
    var path: String

    @Option(
        name: .long,
        help:
            "Also validate an Istio mesh config YAML file (the `mesh` key of the istio ConfigMap), and validate the objects under it."
    )
    var meshConfig: String?

    func run() throws {
        let quiet = Logger(label: "meshd-validate", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = ConfigStore(logger: quiet)
        if let meshConfig {
            guard let data = FileManager.default.contents(atPath: meshConfig) else {
                throw ValidationError("--mesh-config: \(meshConfig): cannot read file")
            }
            store.apply(
                meshConfig: MeshConfigDecoder.decode(yaml: String(decoding: data, as: UTF8.self), file: meshConfig))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path): no such file or directory")
        }
        if isDirectory.boolValue {
            try FileSource(directory: path, store: store, logger: quiet).loadOnce()
        } else {
            // Bytes, not a String: text that is not UTF-8 is a finding about the file (with the byte offset), not a
            // usage error.
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(
                    Data("\(path): cannot read file: permission denied or not a regular file\n".utf8))
                throw ExitCode(1)
            }
            store.apply(file: path, result: ConfigDecoder.decode(bytes: Array(data), file: path))
        }
        let diagnostics = store.diagnostics()
        let errors = diagnostics.filter(\.isError)
        // Errors as `file:line: Kind/ns/name: field.path: reason` (what editors and CI annotate), then warnings
        // with a `warning: ` prefix.
        for diagnostic in errors { print(diagnostic) }
        for diagnostic in diagnostics where !diagnostic.isError { print("warning: \(diagnostic)") }
        print(
            "\(store.objects().count) objects valid, \(errors.count) errors, \(diagnostics.count - errors.count) warnings"
        )
        if !errors.isEmpty { throw ExitCode(1) }
    }
}
