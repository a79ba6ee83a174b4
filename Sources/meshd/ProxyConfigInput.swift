import ArgumentParser
import Foundation
import Logging
import MeshModel
import Registry

/// `--proxy-config` and `--mesh-config` of `meshd inject` and `meshd bootstrap`: the ProxyConfigs and the mesh config
/// whose merged settings (`MeshSnapshot.proxySettings(namespace:labels:)`) shape the proxy, read as `meshd validate`
/// reads them. Any error in them stops the command, naming file, object and field.
struct ProxyConfigInput: ParsableArguments {
    @Option(
        name: .long,
        help:
            "A YAML file or directory holding ProxyConfig objects (other kinds are read and ignored); repeat for more.")
    var proxyConfig: [String] = []

    @Option(name: .long, help: "Istio's mesh config YAML (the `mesh` key of the istio ConfigMap), for defaultConfig.")
    var meshConfig: String?

    /// Whether any input was given (without one, istiod's defaults apply).
    var isEmpty: Bool { proxyConfig.isEmpty && meshConfig == nil }

    /// The snapshot of the inputs: its mesh config and ProxyConfigs.
    func snapshot() throws -> MeshSnapshot {
        let quiet = Logger(label: "meshd-proxy-config", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = ConfigStore(logger: quiet)
        if let meshConfig {
            guard let data = FileManager.default.contents(atPath: meshConfig) else {
                throw ValidationError("--mesh-config: \(meshConfig): cannot read file")
            }
            store.apply(
                meshConfig: MeshConfigDecoder.decode(yaml: String(decoding: data, as: UTF8.self), file: meshConfig))
        }
        for path in proxyConfig {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("--proxy-config: \(path): no such file or directory")
            }
            if isDirectory.boolValue {
                try FileSource(directory: path, store: store, logger: quiet).loadOnce()
            } else {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("--proxy-config: \(path): cannot read file")
                }
                store.apply(file: path, result: ConfigDecoder.decode(bytes: Array(data), file: path))
            }
        }
        let errors = store.diagnostics().filter(\.isError)
        if !errors.isEmpty {
            throw ValidationError(
                "the proxy configuration has errors:\n" + errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        return store.snapshot()
    }
}
